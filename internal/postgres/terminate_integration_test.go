package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// termRig is a PostgreSQL 17 primary and standby; the role "sk" may
// create slots and signal backends, "app" owns the sessions that block.
type termRig struct {
	primary, standby *pgtest.Server
}

func startTermRig(t *testing.T) *termRig {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL servers")
	}
	ctx := t.Context()
	p := pgtest.StartPrimaryT(t, pgtest.Options{Major: 17, Name: "terminate"})
	must(t, p.CreateDatabase(ctx, appDB))
	must(t, p.CreateRole(ctx, "sk", "sk", true))
	must(t, p.CreateRole(ctx, "app", "app", false))
	must(t, p.Exec(ctx, "GRANT pg_signal_backend TO sk"))
	s := p.AddStandbyT(t, "terminate_standby", nil)
	return &termRig{primary: p, standby: s}
}

func (r *termRig) sk(t *testing.T, s *pgtest.Server) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), s.DSN("sk", "sk", appDB))
	must(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// session is an open transaction of role app, with an xid, in database db.
type session struct {
	conn  *pgx.Conn
	pid   int32
	start time.Time
	xid   string
}

func (r *termRig) openSession(t *testing.T, db string) *session {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, r.primary.DSN("app", "app", db))
	must(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	s := &session{conn: conn}
	must(t, conn.QueryRow(ctx, "SELECT pg_backend_pid(), backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()").
		Scan(&s.pid, &s.start))
	_, err = conn.Exec(ctx, "BEGIN")
	must(t, err)
	must(t, conn.QueryRow(ctx, "SELECT pg_current_xact_id()::text").Scan(&s.xid))
	return s
}

func (s *session) alive(ctx context.Context) bool {
	return s.conn.Ping(ctx) == nil
}

func (s *session) commit(t *testing.T) {
	t.Helper()
	_, err := s.conn.Exec(t.Context(), "COMMIT")
	must(t, err)
}

func (s *session) termination(olderThan time.Duration) Termination {
	return Termination{PID: s.pid, BackendStart: s.start, XID: s.xid, OlderThan: olderThan}
}

// createInBackground starts a logical slot creation on conn; the channel
// gets its result.
func createInBackground(t *testing.T, conn *pgx.Conn, slot string) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := CreateLogicalSlot(t.Context(), conn, 170000, LogicalSlotOptions{Name: slot, Plugin: "pgoutput"})
		done <- err
	}()
	return done
}

// TestTerminateBlockerOnPrimary: only the session the creation waits on
// is ended, and only while it is still the session, in the transaction,
// that was seen, and that transaction is old enough.
func TestTerminateBlockerOnPrimary(t *testing.T) {
	r := startTermRig(t)
	ctx := t.Context()
	blocker := r.openSession(t, "postgres")
	creating := createInBackground(t, r.sk(t, r.primary), "held")
	signaller := r.sk(t, r.primary)
	waitFor(t, "the creation to wait on the blocker", func() bool {
		bs, err := CreationBlockers(ctx, signaller, "held")
		must(t, err)
		return len(bs) == 1 && bs[0].PID == blocker.pid && bs[0].XID == blocker.xid && bs[0].BackendStart.Equal(blocker.start)
	})
	// A session with an old transaction that the creation does not wait on.
	bystander := r.openSession(t, appDB)
	time.Sleep(1100 * time.Millisecond)

	end := func(what string, tm Termination, want bool) {
		t.Helper()
		tm.Slot = "held"
		got, err := TerminateBlocker(ctx, signaller, tm)
		if err != nil || got != want {
			t.Fatalf("%s: terminated %v, err %v; want %v", what, got, err, want)
		}
	}
	end("a session the creation does not wait for", bystander.termination(time.Second), false)
	wrongStart := blocker.termination(time.Second)
	wrongStart.BackendStart = blocker.start.Add(-time.Microsecond)
	end("the blocker's pid with another backend start (a reused pid)", wrongStart, false)
	wrongXID := blocker.termination(time.Second)
	wrongXID.XID = bystander.xid
	end("the blocker's pid in another transaction", wrongXID, false)
	end("a transaction younger than asked", blocker.termination(time.Hour), false)
	if !blocker.alive(ctx) || !bystander.alive(ctx) {
		t.Fatal("a session that did not qualify was terminated")
	}
	bystander.commit(t)
	end("the blocker", blocker.termination(time.Second), true)
	waitFor(t, "the blocker to end", func() bool { return !blocker.alive(ctx) })
	select {
	case err := <-creating:
		must(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the creation did not finish once its blocker was terminated")
	}
	if _, err := TerminateBlocker(ctx, signaller, Termination{PID: 1}); err == nil {
		t.Fatal("a termination naming no creation was run")
	}
}

// TestTerminateBlockerForStandby: for a creation on a standby, a primary
// transaction is ended only when its xid precedes the creation's horizon
// (it was running, and known to the standby, when the creation began); one
// that began later is left alone, since nothing proves it blocks.
func TestTerminateBlockerForStandby(t *testing.T) {
	r := startTermRig(t)
	ctx := t.Context()
	onPrimary := r.sk(t, r.primary)
	super, err := r.primary.Connect(ctx, "postgres")
	must(t, err)
	defer super.Close(context.Background())
	early := r.openSession(t, appDB)
	_, err = early.conn.Exec(ctx, "CREATE TEMP TABLE early_write(i int)")
	must(t, err)
	// Make the standby learn the xid before the creation begins.
	must(t, LogStandbySnapshot(ctx, super))
	waitReplayed(t, r)

	onStandby := r.sk(t, r.standby)
	creating := createInBackground(t, onStandby, "standby_held")
	watcher := r.sk(t, r.standby)
	var horizon string
	waitFor(t, "the creation's horizon on the standby", func() bool {
		horizon, err = CreationHorizon(ctx, watcher, "standby_held")
		must(t, err)
		return horizon != ""
	})
	late := r.openSession(t, appDB)
	time.Sleep(1100 * time.Millisecond)
	t.Logf("horizon %s, early xid %s, late xid %s", horizon, early.xid, late.xid)

	end := func(s *session) bool {
		tm := s.termination(time.Second)
		tm.Horizon = horizon
		ok, err := TerminateBlocker(ctx, onPrimary, tm)
		must(t, err)
		return ok
	}
	if end(late) || !late.alive(ctx) {
		t.Fatal("a transaction that began after the creation was terminated")
	}
	late.commit(t)
	// The early transaction does block: fresh running-xacts records do not
	// complete the creation while it runs.
	for range 5 {
		must(t, LogStandbySnapshot(ctx, super))
		select {
		case err := <-creating:
			t.Fatalf("the creation finished while the early transaction ran: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
	}
	if !end(early) {
		t.Fatal("the transaction the creation waits for was not terminated")
	}
	// The creation then completes with running-xacts records to read.
	deadline := time.Now().Add(30 * time.Second)
	for {
		must(t, LogStandbySnapshot(ctx, super))
		select {
		case err := <-creating:
			must(t, err)
			if h, _ := CreationHorizon(ctx, watcher, "standby_held"); h != "" {
				t.Fatalf("a created slot still has a creation horizon %s", h)
			}
			return
		case <-time.After(300 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby's creation did not finish once its blocker was terminated")
		}
	}
}

func waitReplayed(t *testing.T, r *termRig) {
	t.Helper()
	var target string
	p, err := r.primary.Connect(t.Context(), "postgres")
	must(t, err)
	defer p.Close(context.Background())
	must(t, p.QueryRow(t.Context(), "SELECT pg_current_wal_insert_lsn()::text").Scan(&target))
	s, err := r.standby.Connect(t.Context(), "postgres")
	must(t, err)
	defer s.Close(context.Background())
	waitFor(t, "the standby to replay "+target, func() bool {
		var ok bool
		must(t, s.QueryRow(t.Context(), "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target).Scan(&ok))
		return ok
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for " + what)
		}
	}
}
