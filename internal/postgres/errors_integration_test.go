package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// testErrors produces every classified SQLSTATE on a real server.
func (e *env) testErrors(t *testing.T) {
	ctx, v := t.Context(), e.versionNum()
	conn := e.connect(t, e.primary, appDB)

	t.Run("PermissionDenied", func(t *testing.T) {
		norep, err := Connect(ctx, e.cfg(e.primary, noRepRole, repPassword, appDB))
		must(t, err)
		defer func() { _ = norep.Close(context.Background()) }()
		_, err = CreatePhysicalSlot(ctx, norep, "denied", false)
		pe := wantReason(t, "physical slot without REPLICATION", err, ReasonPermissionDenied)
		if pe.SQLState != "42501" || !strings.Contains(Remediation(pe, noRepRole), "ALTER ROLE "+QuoteRole(noRepRole)+" REPLICATION") {
			t.Errorf("%+v: %s", pe, Remediation(pe, noRepRole))
		}
		_, err = CreateLogicalSlot(ctx, norep, v, LogicalSlotOptions{Name: "denied", Plugin: "pgoutput"})
		wantReason(t, "logical slot without REPLICATION", err, ReasonPermissionDenied)
	})
	t.Run("SlotExists", func(t *testing.T) {
		must(t, second(CreatePhysicalSlot(ctx, conn, "dup", false)))
		defer func() { must(t, DropSlot(ctx, conn, "dup")) }()
		pe := wantReason(t, "duplicate", second(CreatePhysicalSlot(ctx, conn, "dup", false)), ReasonSlotExists)
		if pe.SQLState != "42710" {
			t.Errorf("SQLSTATE %s", pe.SQLState)
		}
		_, err := CreatePhysicalSlotRow(ctx, conn, v, "dup", true)
		if pe := wantReason(t, "duplicate, created with its row", err, ReasonSlotExists); pe.SQLState != "42710" {
			t.Errorf("SQLSTATE %s", pe.SQLState)
		}
		// The connection is usable after the failed batch.
		if s, err := GetSlot(ctx, conn, v, "dup"); err != nil || s == nil {
			t.Fatalf("after a failed batch: %v, %v", s, err)
		}
	})
	t.Run("CreatedWithItsRow", func(t *testing.T) {
		for _, reserve := range []bool{true, false} {
			name := fmt.Sprintf("with_row_%v", reserve)
			row, err := CreatePhysicalSlotRow(ctx, conn, v, name, reserve)
			must(t, err)
			must(t, DropSlot(ctx, conn, name))
			if row.Name != name || row.Type != "physical" || row.Active || (row.RestartLSN != nil) != reserve {
				t.Errorf("reserve %v: row %+v", reserve, row)
			}
		}
	})
	t.Run("PluginMissing", func(t *testing.T) {
		_, err := CreateLogicalSlot(ctx, conn, v, LogicalSlotOptions{Name: "no_plugin", Plugin: "no_such_plugin"})
		pe := wantReason(t, "unknown plugin", err, ReasonPluginMissing)
		t.Logf("unknown plugin: SQLSTATE %s %q", pe.SQLState, pe.Message)
		if !strings.Contains(Remediation(pe, repRole), "no_such_plugin") {
			t.Errorf("remediation %q", Remediation(pe, repRole))
		}
		if s, _ := GetSlot(ctx, conn, v, "no_plugin"); s != nil {
			t.Error("failed creation left a slot behind")
		}
	})
	t.Run("AuthenticationFailed", func(t *testing.T) {
		_, err := Connect(ctx, e.cfg(e.primary, repRole, "wrong-password", appDB))
		pe := wantReason(t, "wrong password", err, ReasonAuthenticationFailed)
		if pe.Transient || strings.Contains(pe.Error(), "wrong-password") {
			t.Errorf("%+v", pe)
		}
	})
	t.Run("DatabaseMissing", func(t *testing.T) {
		_, err := Connect(ctx, e.cfg(e.primary, repRole, repPassword, "no_such_db"))
		wantReason(t, "missing database", err, ReasonDatabaseMissing)
	})
	t.Run("ServerUnavailable", func(t *testing.T) {
		c := e.cfg(e.primary, repRole, repPassword, appDB)
		c.Port, c.ConnectTimeout = closedPort(t), 2*time.Second
		_, err := Connect(ctx, c)
		if pe := wantReason(t, "closed port", err, ReasonServerUnavailable); !pe.Transient {
			t.Errorf("not transient: %+v", pe)
		}
	})
	t.Run("TLSRefused", func(t *testing.T) {
		// The test servers have ssl=off: require must fail, and not as a
		// transient outage, since retrying cannot help.
		c := e.cfg(e.primary, repRole, repPassword, appDB)
		c.TLSMode = TLSRequire
		_, err := Connect(ctx, c)
		if pe := Classify(err); pe == nil || pe.Transient || strings.Contains(pe.Error(), repPassword) {
			t.Fatalf("TLS against a plaintext server: %+v", pe)
		}
	})
	t.Run("SlotNotFound", func(t *testing.T) {
		wantReason(t, "drop missing", DropSlot(ctx, conn, "never_created"), ReasonSlotNotFound)
		_, err := conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", "never_created")
		if pe := wantReason(t, "raw drop missing", Classify(err), ReasonSlotNotFound); pe.SQLState != "42704" {
			t.Errorf("SQLSTATE %s", pe.SQLState)
		}
	})
	t.Run("InvalidName", func(t *testing.T) {
		_, err := CreatePhysicalSlot(ctx, conn, strings.Repeat("n", 64), false)
		wantReason(t, "64-byte name", err, ReasonInvalidName)
		_, err = conn.Exec(ctx, "SELECT pg_create_physical_replication_slot($1)", "Bad-Name")
		if pe := wantReason(t, "server-side invalid name", Classify(err), ReasonInvalidName); pe.SQLState != "42602" {
			t.Errorf("SQLSTATE %s", pe.SQLState)
		}
	})
	t.Run("Admin shutdown", func(t *testing.T) {
		victim := e.connect(t, e.primary, appDB)
		pid := victim.PgConn().PID()
		must(t, e.primary.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(pid)))
		_, err := Identify(ctx, victim)
		if pe := wantReason(t, "terminated session", err, ReasonServerUnavailable); !pe.Transient {
			t.Errorf("not transient: %+v", pe)
		}
	})
}

// testLimits needs a server with wal_level=replica and a single slot, which
// the shared primary cannot become while it has logical slots and a standby.
// Its short wal_sender_timeout also checks that pgtest.HoldSlot answers keepalives.
func (e *env) testLimits(t *testing.T) {
	ctx := t.Context()
	s := pgtest.StartPrimaryT(t, pgtest.Options{Major: e.major, Name: "postgres-limits",
		Settings: map[string]string{"wal_level": "replica", "max_replication_slots": "1", "wal_sender_timeout": "1s"}})
	defer s.Cleanup()
	must(t, s.CreateRole(ctx, repRole, repPassword, true))
	conn, err := Connect(ctx, e.cfg(s, repRole, repPassword, "postgres"))
	must(t, err)
	defer func() { _ = conn.Close(context.Background()) }()

	_, err = CreateLogicalSlot(ctx, conn, e.versionNum(), LogicalSlotOptions{Name: "needs_logical", Plugin: "pgoutput"})
	pe := wantReason(t, "logical slot with wal_level=replica", err, ReasonWALLevelTooLow)
	t.Logf("wal_level: SQLSTATE %s %q", pe.SQLState, pe.Message)

	must(t, second(CreatePhysicalSlot(ctx, conn, "only_one", false)))
	_, err = CreatePhysicalSlot(ctx, conn, "one_too_many", false)
	pe = wantReason(t, "max_replication_slots exhausted", err, ReasonTooManySlots)
	if pe.SQLState != "53400" || pe.Transient {
		t.Errorf("%+v", pe)
	}
	// With wal_sender_timeout=1s the walsender drops a consumer that does
	// not answer its keepalives within a second: pgtest.HoldSlot must answer.
	release, err := pgtest.HoldSlot(ctx, s.DSN(repRole, repPassword, "postgres"), "only_one", false)
	must(t, err)
	time.Sleep(2500 * time.Millisecond)
	held, err := GetSlot(ctx, conn, e.versionNum(), "only_one")
	must(t, err)
	release()
	if held == nil || !held.Active {
		t.Fatalf("consumer was dropped despite keepalive replies: %+v\n%s", held, s.Logs())
	}
	id, err := Identify(ctx, conn)
	must(t, err)
	if id.UsedSlots != 1 || id.Settings.MaxReplicationSlots != 1 || id.Settings.WALLevel != "replica" {
		t.Errorf("identity on the limited server: used %d %+v", id.UsedSlots, id.Settings)
	}
}
