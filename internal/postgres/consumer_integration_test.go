package postgres

import (
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// testActiveConsumer holds slots with real streaming consumers and checks
// what ListSlots reports and that DropSlot refuses to drop them.
func (e *env) testActiveConsumer(t *testing.T) {
	ctx, v := t.Context(), e.versionNum()
	conn := e.connect(t, e.primary, appDB)
	cases := []struct {
		name, plugin string
		logical      bool
	}{
		{"held_pgoutput", "pgoutput", true},
		{"held_test_decoding", "test_decoding", true},
		{"held_physical", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.logical {
				must(t, second(CreateLogicalSlot(ctx, conn, v, LogicalSlotOptions{Name: c.name, Plugin: c.plugin})))
			} else {
				must(t, second(CreatePhysicalSlot(ctx, conn, c.name, true)))
			}
			release, err := pgtest.HoldSlot(ctx, e.primary.DSN(repRole, repPassword, appDB), c.name, c.logical)
			if err != nil {
				_ = DropSlot(ctx, conn, c.name)
				t.Fatalf("pgtest.HoldSlot: %v", err)
			}
			defer release()
			// Generate changes so that the consumer really receives data.
			e.writeWAL(t, appDB)
			e.waitSent(t, c.name)
			e.checkHeld(t, conn, c.name)
			pe := wantReason(t, "drop active slot", DropSlot(ctx, conn, c.name), ReasonSlotActive)
			if pe.SQLState != "" {
				t.Errorf("DropSlot should refuse before the server does: %+v", pe)
			}
			// The server's own refusal (55006) classifies the same way.
			_, err = conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", c.name)
			if pe := wantReason(t, "raw drop of active slot", Classify(err), ReasonSlotActive); pe.SQLState != "55006" {
				t.Errorf("SQLSTATE %s", pe.SQLState)
			}
			if s, err := GetSlot(ctx, conn, v, c.name); err != nil || s == nil || !s.Active {
				t.Fatalf("slot must survive the drop attempts: %+v %v", s, err)
			}
			release()
			if s, err := GetSlot(ctx, conn, v, c.name); err != nil || s == nil || s.Active || s.Consumer != nil {
				t.Fatalf("after release: %+v %v", s, err)
			}
			must(t, DropSlot(ctx, conn, c.name))
		})
	}
	t.Run("standby", func(t *testing.T) {
		s, err := GetSlot(ctx, conn, v, standbyName)
		if err != nil || s == nil || !s.Active || s.Consumer == nil || s.Consumer.ApplicationName != standbyName {
			t.Fatalf("standby slot: %+v %v", s, err)
		}
	})
}

func (e *env) checkHeld(t *testing.T, q Querier, name string) {
	t.Helper()
	all, err := ListSlots(t.Context(), q, e.versionNum())
	must(t, err)
	for _, s := range all {
		if s.Name != name {
			continue
		}
		c := s.Consumer
		if !s.Active || s.ActivePID == 0 || c == nil {
			t.Fatalf("%s not active: %+v", name, s)
		}
		if c.PID != s.ActivePID || c.ApplicationName != pgtest.HoldApplicationName || c.ClientAddr != "127.0.0.1" || c.BackendStart == nil {
			t.Errorf("%s consumer: %+v", name, *c)
		}
		if e.major >= 17 && s.InactiveSince != nil {
			t.Errorf("%s: active slot has inactive_since %v", name, s.InactiveSince)
		}
		return
	}
	t.Fatalf("%s not listed", name)
}

// waitSent waits until the walsender of slot has sent everything written so
// far: the consumer then really decoded (or streamed) the new WAL and is
// still attached.
func (e *env) waitSent(t *testing.T, slot string) {
	t.Helper()
	conn, err := e.primary.Connect(t.Context(), "postgres")
	must(t, err)
	defer func() { _ = conn.Close(t.Context()) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var caughtUp bool
		err := conn.QueryRow(t.Context(), `SELECT COALESCE(bool_and(r.sent_lsn >= pg_current_wal_insert_lsn()), false)
			FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
			WHERE s.slot_name = $1`, slot).Scan(&caughtUp)
		must(t, err)
		if caughtUp {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer of %s did not catch up; server log:\n%s", slot, e.primary.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
