package creator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestDueForTermination(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	seen := postgres.Blocker{PID: 5, XID: "105", XactStart: ago(time.Hour)}
	cases := []struct {
		name         string
		b            postgres.Blocker
		due, refused bool
	}{
		{"old enough", postgres.Blocker{PID: 1, XID: "101", XactStart: ago(10 * time.Second)}, true, false},
		{"exactly the threshold", postgres.Blocker{PID: 1, XID: "101", XactStart: ago(5 * time.Second)}, true, false},
		{"younger than the threshold", postgres.Blocker{PID: 2, XID: "102", XactStart: ago(4 * time.Second)}, false, false},
		{"transaction start unknown", postgres.Blocker{PID: 3, XID: "103"}, false, false},
		{"no xid", postgres.Blocker{PID: 4, XactStart: ago(time.Hour)}, false, false},
		{"already dealt with", seen, false, false},
		{"same pid, later transaction", postgres.Blocker{PID: 5, XID: "205", XactStart: ago(time.Hour)}, true, false},
		{"superuser", postgres.Blocker{PID: 6, XID: "106", XactStart: ago(time.Hour), Superuser: true}, false, true},
	}
	handled := map[session]bool{sessionOf(seen): true}
	for _, c := range cases {
		due, refused := dueForTermination([]postgres.Blocker{c.b}, 5*time.Second, now, handled)
		if (len(due) == 1) != c.due || (len(refused) == 1) != c.refused {
			t.Errorf("%s: due %v refused %v, want due %v refused %v", c.name, due, refused, c.due, c.refused)
		}
	}
}

func TestXIDPrecedes(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"742", "743", true},
		{"743", "743", false},
		{"744", "743", false},
		{"4294967290", "10", true}, // across wraparound
		{"10", "4294967290", false},
		{"", "743", false},
		{"742", "", false},
		{"x", "743", false},
	}
	for _, c := range cases {
		if got := xidPrecedes(c.a, c.b); got != c.want {
			t.Errorf("xidPrecedes(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestTerminateByTransactionAge: a blocker is ended once its own
// transaction has run for terminateAfter, not as soon as the creation has
// waited that long. The first blocker is old when it is ended; the second
// begins while the creation waits, becomes its blocker next, and must
// survive until its own transaction is old enough.
func TestTerminateByTransactionAge(t *testing.T) {
	ctx, r := startCreatorRig(t, "terminate")
	must(t, r.p.Exec(ctx, "GRANT pg_signal_backend TO sk"))
	must(t, r.p.CreateRole(ctx, "app", "app", false))
	const after = 2 * time.Second
	first := openXact(t, r)
	key := r.beginWith("slot", "by_age", make(chan struct{}, 100), func(req *Request) { req.TerminateAfter = after })
	waitState(t, r.c, key, func(s State) bool { return len(s.Blockers) == 1 && s.Blockers[0].PID == first.pid })
	time.Sleep(after - 500*time.Millisecond)
	second := openXact(t, r)
	waitState(t, r.c, key, func(s State) bool { return len(s.Blockers) == 1 && s.Blockers[0].PID == second.pid })
	ended, _ := r.c.TakeTerminations(key)
	if len(ended) != 1 || ended[0].PID != first.pid {
		t.Fatalf("terminated %+v, want the first blocker, pid %d", ended, first.pid)
	}
	// The creation has waited longer than after; the second transaction
	// has not run that long yet.
	for time.Since(second.began) < after-300*time.Millisecond {
		if second.conn.Ping(ctx) != nil {
			t.Fatalf("the second blocker was terminated after %s, before its transaction ran %s", time.Since(second.began), after)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := waitState(t, r.c, key, func(s State) bool { return s.Done })
	if st.Err != nil {
		t.Fatalf("creation: %v", st.Err)
	}
	if ended, _ := r.c.TakeTerminations(key); len(ended) != 1 || ended[0].PID != second.pid {
		t.Fatalf("terminated %+v, want the second blocker, pid %d", ended, second.pid)
	}
}

type xact struct {
	conn  *pgx.Conn
	pid   int32
	began time.Time
}

// openXact opens a transaction with an xid as role app.
func openXact(t *testing.T, r *creatorRig) xact {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, r.p.DSN("app", "app", "postgres"))
	must(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	x := xact{conn: conn, began: time.Now()}
	_, err = conn.Exec(ctx, "BEGIN")
	must(t, err)
	must(t, conn.QueryRow(ctx, "SELECT pg_backend_pid(), pg_current_xact_id()::text").Scan(&x.pid, new(string)))
	return x
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTerminateForStandbyCreation: for a creation on a standby, only a
// primary transaction that provably blocks it (xid before the creation's
// catalog_xmin on the standby) is ended; one that began after the creation
// is left running, and the state says why.
func TestTerminateForStandbyCreation(t *testing.T) {
	ctx, r := startCreatorRig(t, "terminate-standby")
	must(t, r.p.Exec(ctx, "GRANT pg_signal_backend TO sk"))
	must(t, r.p.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO sk"))
	must(t, r.p.CreateRole(ctx, "app", "app", false))
	standby := r.p.AddStandbyT(t, "creator_standby", nil)
	early := openXact(t, r)
	_, err := early.conn.Exec(ctx, "CREATE TEMP TABLE early_write(i int)")
	must(t, err)
	// The standby learns the early xid before the creation begins.
	must(t, postgres.LogStandbySnapshot(ctx, r.pool))
	waitReplayed(t, r.p, standby)

	cfg := r.cfg
	cfg.Host, cfg.Port = standby.Host, standby.Port
	onStandby, err := postgres.NewPools().Get(ctx, cfg)
	must(t, err)
	key := r.beginWith("standby", "on_standby", make(chan struct{}, 100), func(req *Request) {
		req.Conn, req.OnStandby, req.Snapshot, req.TerminateAfter = cfg, true, true, time.Second
		req.Target = func(context.Context) (postgres.Querier, error) { return onStandby, nil }
	})
	waitState(t, r.c, key, func(s State) bool { return !s.Queued && len(s.Blockers) > 0 })
	late := openXact(t, r)
	st := waitState(t, r.c, key, func(s State) bool {
		return len(s.Terminated) == 1 && strings.Contains(s.TerminateNote, "1 transaction(s) on the primary are old enough")
	})
	if st.Terminated[0].PID != early.pid {
		t.Fatalf("terminated %+v, want the early transaction, pid %d", st.Terminated, early.pid)
	}
	if late.conn.Ping(ctx) != nil || st.Done {
		t.Fatalf("the late transaction was ended (or the creation finished without it): %+v", st)
	}
	_, err = late.conn.Exec(ctx, "COMMIT")
	must(t, err)
	if st := waitState(t, r.c, key, func(s State) bool { return s.Done }); st.Err != nil {
		t.Fatalf("creation: %v", st.Err)
	}
}

// waitReplayed waits until standby has replayed the primary's WAL as it
// is now.
func waitReplayed(t *testing.T, primary, standby *pgtest.Server) {
	t.Helper()
	ctx := t.Context()
	p, err := primary.Connect(ctx, "postgres")
	must(t, err)
	defer p.Close(context.Background())
	var target string
	must(t, p.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&target))
	s, err := standby.Connect(ctx, "postgres")
	must(t, err)
	defer s.Close(context.Background())
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var ok bool
		must(t, s.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target).Scan(&ok))
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby did not replay " + target)
		}
	}
}
