package creator

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPhysicalCreation: a physical request makes a physical slot that keeps
// WAL from the LSN its state reports, read back with it unless the request
// is part of a bulk recreation, and a second request for the name fails as
// PostgreSQL refuses it.
func TestPhysicalCreation(t *testing.T) {
	ctx, r := startCreatorRig(t, "creator-physical")
	woke := make(chan struct{}, 100)
	physical := func(req *Request) { req.Physical, req.ReserveWAL = true, true }
	key := r.beginWith("phys", "phys_slot", woke, physical)
	st := waitState(t, r.c, key, func(s State) bool { return s.Done })
	if st.Err != nil || st.Row == nil || st.Row.Type != "physical" || st.LSN == 0 || st.Row.RestartLSN == nil || *st.Row.RestartLSN != st.LSN {
		t.Fatalf("physical creation: %+v", st)
	}
	bulk := r.beginWith("bulk", "bulk_slot", woke, func(req *Request) { physical(req); req.Ahead = true })
	if st := waitState(t, r.c, bulk, func(s State) bool { return s.Done }); st.Err != nil || st.Row != nil || st.LSN == 0 || !st.Ahead {
		t.Fatalf("bulk physical creation: %+v", st)
	}
	var restart string
	if err := r.pool.QueryRow(ctx, `SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = 'phys_slot' AND slot_type = 'physical'`).
		Scan(&restart); err != nil {
		t.Fatal(err)
	}
	if restart != st.LSN.String() {
		t.Fatalf("state LSN %s, slot's restart_lsn %s", st.LSN, restart)
	}
	again := r.beginWith("phys-again", "phys_slot", woke, physical)
	if st := waitState(t, r.c, again, func(s State) bool { return s.Done }); st.Err == nil {
		t.Fatal("a second creation of the name succeeded")
	}
}

// TestAwaitAhead: a bulk creation's reconcile waits for every creation of
// the bulk on its server, not only its own, and not at all once one of
// them has waited for PostgreSQL longer than the bound.
func TestAwaitAhead(t *testing.T) {
	ctx, r := startCreatorRig(t, "creator-await-ahead")
	blocker, err := pgx.Connect(ctx, r.p.DSN("sk", "sk", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close(ctx)
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, "SELECT txid_current()").Scan(new(int64)); err != nil {
		t.Fatal(err)
	}
	woke := make(chan struct{}, 100)
	ahead := func(req *Request) { req.Ahead = true }
	blocked := r.beginWith("blocked", "blocked_slot", woke, ahead)
	quick := r.beginWith("quick", "quick_slot", woke, func(req *Request) { ahead(req); req.Physical = true })
	waitState(t, r.c, quick, func(s State) bool { return s.Done })
	waitState(t, r.c, blocked, func(s State) bool { return len(s.Blockers) == 1 })

	returned := make(chan State, 1)
	go func() {
		r.c.AwaitAhead(quick, 20*time.Second)
		st, _ := r.c.State(blocked)
		returned <- st
	}()
	select {
	case st := <-returned:
		t.Fatalf("returned while the bulk's other creation still waited: %+v", st)
	case <-time.After(time.Second):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if st := <-returned; !st.Done {
		t.Fatalf("returned before the bulk ended: %+v", st)
	}

	// A bulk whose creation has waited longer than the bound: no wait.
	tx, _ = blocker.Begin(ctx)
	if err := tx.QueryRow(ctx, "SELECT txid_current()").Scan(new(int64)); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	stuck := r.beginWith("stuck", "stuck_slot", woke, ahead)
	waitState(t, r.c, stuck, func(s State) bool { return len(s.Blockers) == 1 })
	const bound = 2 * time.Second
	time.Sleep(bound + 200*time.Millisecond)
	done := make(chan struct{})
	go func() { r.c.AwaitAhead(quick, bound); close(done) }()
	select {
	case <-done:
	case <-time.After(bound / 2):
		t.Fatal("waited for a creation that had already waited longer than the bound")
	}
}
