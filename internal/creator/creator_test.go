package creator

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// TestBlockedCreation runs a real creation behind an open transaction: the
// watcher must name the blocker while it waits, and the creation must end
// once the transaction commits.
func TestBlockedCreation(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL; run without -short (make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := pgtest.StartPrimaryT(t, pgtest.Options{Major: 17, Name: "creator"})
	for _, r := range []string{"app", "sk"} {
		if err := p.CreateRole(ctx, r, r, r == "sk"); err != nil {
			t.Fatal(err)
		}
	}
	blocker, err := pgx.Connect(ctx, p.DSN("app", "app", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := blocker.Begin(ctx)
	var pid int32
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid(), txid_current()").Scan(&pid, new(int64)); err != nil {
		t.Fatal(err)
	}
	cfg := postgres.ConnConfig{Host: p.Host, Port: p.Port, User: "sk", Password: "sk", Database: "postgres", TLSMode: "disable"}
	pool, err := postgres.NewPools().Get(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := New()
	go func() { _ = c.Start(ctx) }()
	key := types.NamespacedName{Namespace: "ns", Name: "slot"}
	woke := make(chan struct{}, 100)
	waitRunning(t, c)
	get := func(context.Context) (postgres.Querier, error) { return pool, nil }
	c.Begin(Request{Server: key, Slot: key, Conn: cfg, VersionNum: 170000, Target: get, Primary: get,
		Options: postgres.LogicalSlotOptions{Name: "blocked", Plugin: "pgoutput"}, Interval: 200 * time.Millisecond,
		Wake: func() { woke <- struct{}{} }})
	waitState(t, c, key, func(s State) bool { return len(s.Blockers) == 1 && s.Blockers[0].PID == pid })
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, c, key, func(s State) bool { return s.Done })
	if st.Err != nil || st.LSN == 0 {
		t.Fatalf("creation: lsn %s err %v", st.LSN, st.Err)
	}
	// With its last creation over, the server's pool is closed: the
	// creation's session is gone from PostgreSQL.
	creationSessions := func() (n int) {
		err := blocker.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE usename = 'sk' AND query LIKE '%create_logical_replication_slot%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); c.Servers() > 0 || creationSessions() > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after the creation ended: pools for %d servers, %d creation sessions open", c.Servers(), creationSessions())
		}
	}
}

func waitRunning(t *testing.T, c *Creator) {
	t.Helper()
	for range 100 {
		c.mu.Lock()
		ok := c.ctx != nil
		c.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("creator did not start")
}

func waitState(t *testing.T, c *Creator, key types.NamespacedName, ok func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s, found := c.State(key); found && ok(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, _ := c.State(key)
	t.Fatalf("state not reached: %+v", s)
	return s
}

// TestAwait: the reconcile that begins a creation can wait for a quick one
// to finish, and is not woken for what it saw itself; a creation that is
// still blocked when the wait ends goes on and wakes as before.
func TestAwait(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL; run without -short (make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := pgtest.StartPrimaryT(t, pgtest.Options{Major: 17, Name: "await"})
	if err := p.CreateRole(ctx, "sk", "sk", true); err != nil {
		t.Fatal(err)
	}
	cfg := postgres.ConnConfig{Host: p.Host, Port: p.Port, User: "sk", Password: "sk", Database: "postgres", TLSMode: "disable"}
	pool, err := postgres.NewPools().Get(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := New()
	go func() { _ = c.Start(ctx) }()
	waitRunning(t, c)
	get := func(context.Context) (postgres.Querier, error) { return pool, nil }
	woke := make(chan struct{}, 100)
	begin := func(name string) types.NamespacedName {
		key := types.NamespacedName{Namespace: "ns", Name: name}
		c.Begin(Request{Server: key, Slot: key, Conn: cfg, VersionNum: 170000, Target: get, Primary: get,
			Options: postgres.LogicalSlotOptions{Name: name, Plugin: "pgoutput"}, Interval: 200 * time.Millisecond,
			Wake: func() { woke <- struct{}{} }})
		return key
	}

	quick := begin("quick")
	st, ok := c.Await(quick, 10*time.Second)
	if !ok || !st.Done || st.Err != nil || st.LSN == 0 {
		t.Fatalf("quick creation after Await: found %v, %+v", ok, st)
	}
	if r := st.Row; r == nil || r.Name != "quick" || r.Type != "logical" || r.ConfirmedFlushLSN == nil || *r.ConfirmedFlushLSN != st.LSN {
		t.Fatalf("the creation's row: %+v, want the new slot at %s", r, st.LSN)
	}
	if len(woke) != 0 {
		t.Fatalf("the awaited creation woke its reconcile %d times", len(woke))
	}

	// A transaction with an xid holds the next creation.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT txid_current()"); err != nil {
		t.Fatal(err)
	}
	slow := begin("slow")
	t0 := time.Now()
	if st, _ := c.Await(slow, 300*time.Millisecond); st.Done {
		t.Fatalf("a blocked creation finished: %+v", st)
	}
	if waited := time.Since(t0); waited < 300*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("Await returned after %s, want its bound of 300ms", waited)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woke:
	case <-time.After(20 * time.Second):
		t.Fatal("the creation finished after the wait without waking its reconcile")
	}
	waitState(t, c, slow, func(s State) bool { return s.Done && s.Err == nil })
	if _, ok := c.Await(types.NamespacedName{Name: "unknown"}, time.Second); ok {
		t.Fatal("Await found a creation nobody began")
	}
}
