package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// testTimelineSwitch promotes a standby of its own and reads, as the
// replication role (no superuser), where timeline 1 ended in the promoted
// server's history; the history file read as superuser must agree.
func (e *env) testTimelineSwitch(t *testing.T) {
	ctx := t.Context()
	s := e.primary.AddStandbyT(t, "tl_standby", nil)
	e.writeWAL(t, appDB)
	var written string
	must(t, superRow(t, e.primary, "SELECT pg_current_wal_lsn()::text", &written))
	before := replayedTo(t, s, written)
	must(t, s.Promote(ctx))
	cfg := e.cfg(s, repRole, repPassword, appDB)

	at, found, err := TimelineSwitch(ctx, cfg, 2, 1)
	must(t, err)
	if !found {
		t.Fatal("timeline 1 not found in timeline 2's history")
	}
	var history string
	must(t, superRow(t, s, "SELECT pg_read_file('pg_wal/00000002.history')", &history))
	if !strings.HasPrefix(history, "1\t"+at.String()+"\t") {
		t.Fatalf("switch point %s, history file says %q", at, history)
	}
	if at < before {
		t.Fatalf("switch point %s before the standby's last replayed position %s", at, before)
	}
	if _, found, err := TimelineSwitch(ctx, cfg, 2, 2); found || err != nil {
		t.Fatalf("a timeline is not its own ancestor: found=%v err=%v", found, err)
	}
	if _, found, err := TimelineSwitch(ctx, cfg, 3, 2); found || err == nil {
		t.Fatalf("timeline 3 does not exist: found=%v err=%v", found, err)
	}
	_, _, err = TimelineSwitch(ctx, e.cfg(s, noRepRole, repPassword, appDB), 2, 1)
	wantReason(t, "TIMELINE_HISTORY without REPLICATION", err, ReasonPermissionDenied)
}

func TestSwitchPoint(t *testing.T) {
	history := []byte("1\t0/3000158\tno recovery target specified\n\n# comment\n2\t0/5000000\tat restore point \"x\"\n")
	cases := []struct {
		from  int64
		want  string
		found bool
	}{{1, "0/3000158", true}, {2, "0/5000000", true}, {3, "", false}}
	for _, c := range cases {
		at, found, err := SwitchPoint(history, c.from)
		if err != nil || found != c.found || (found && at.String() != c.want) {
			t.Errorf("SwitchPoint(%d) = %s, %v, %v; want %s, %v", c.from, at, found, err, c.want, c.found)
		}
	}
	if _, _, err := SwitchPoint([]byte("1\tnot-an-lsn\treason\n"), 1); err == nil {
		t.Error("a malformed switch point must be an error")
	}
}

// superRow reads one row from s as superuser.
func superRow(t *testing.T, s *pgtest.Server, sql string, dest ...any) error {
	conn, err := s.Connect(t.Context(), "postgres")
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	return conn.QueryRow(t.Context(), sql).Scan(dest...)
}

// replayedTo waits until standby s has replayed up to lsn and returns
// where its replay stands.
func replayedTo(t *testing.T, s *pgtest.Server, lsn string) LSN {
	want, err := ParseLSN(lsn)
	must(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var at string
		must(t, superRow(t, s, "SELECT pg_last_wal_replay_lsn()::text", &at))
		got, err := ParseLSN(at)
		must(t, err)
		if got >= want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby replayed up to %s, not %s", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
