package creator

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// TestBlockedCreation runs a real creation behind an open transaction: the
// watcher must name the blocker while it waits, and the creation must end
// once the transaction commits.
func TestBlockedCreation(t *testing.T) {
	ctx, r := startCreatorRig(t, "creator")
	if err := r.p.CreateRole(ctx, "app", "app", false); err != nil {
		t.Fatal(err)
	}
	blocker, err := pgx.Connect(ctx, r.p.DSN("app", "app", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := blocker.Begin(ctx)
	var pid int32
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid(), txid_current()").Scan(&pid, new(int64)); err != nil {
		t.Fatal(err)
	}
	c := r.c
	woke := make(chan struct{}, 100)
	key := r.begin("slot", "blocked", woke)
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

// creatorRig is a running Creator and a PostgreSQL 17 primary with the
// role sk (REPLICATION); pool reaches its maintenance database as sk.
type creatorRig struct {
	p    *pgtest.Server
	cfg  postgres.ConnConfig
	pool *pgxpool.Pool
	c    *Creator
}

// startCreatorRig skips the test under -short; the context it returns ends
// with the test, or after a minute.
func startCreatorRig(t *testing.T, name string) (context.Context, *creatorRig) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL; run without -short (make test)")
	}
	r := &creatorRig{p: pgtest.StartPrimaryT(t, pgtest.Options{Major: 17, Name: name}), c: New()}
	// Registered after the server's clean-up, so it runs first: the
	// Creator stops before PostgreSQL does.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	if err := r.p.CreateRole(ctx, "sk", "sk", true); err != nil {
		t.Fatal(err)
	}
	r.cfg = postgres.ConnConfig{Host: r.p.Host, Port: r.p.Port, User: "sk", Password: "sk", Database: "postgres", TLSMode: "disable"}
	var err error
	if r.pool, err = postgres.NewPools().Get(ctx, r.cfg); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.c.Start(ctx) }()
	waitRunning(t, r.c)
	return ctx, r
}

// begin starts the creation of a logical slot for the object named key,
// reporting its wake-ups on woke.
func (r *creatorRig) begin(key, slot string, woke chan struct{}) types.NamespacedName {
	return r.beginWith(key, slot, woke, func(*Request) {})
}

// beginWith is begin with a change to the request.
func (r *creatorRig) beginWith(key, slot string, woke chan struct{}, change func(*Request)) types.NamespacedName {
	k := types.NamespacedName{Namespace: "ns", Name: key}
	get := func(context.Context) (postgres.Querier, error) { return r.pool, nil }
	server := types.NamespacedName{Namespace: "ns", Name: "db"}
	req := Request{Server: server, Slot: k, Conn: r.cfg, VersionNum: 170000, Target: get, Primary: get,
		Options: postgres.LogicalSlotOptions{Name: slot, Plugin: "pgoutput"}, Interval: 200 * time.Millisecond,
		Wake: func() { woke <- struct{}{} }}
	change(&req)
	r.c.Begin(req)
	return k
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
	ctx, r := startCreatorRig(t, "await")
	c, pool := r.c, r.pool
	woke := make(chan struct{}, 100)
	begin := func(name string) types.NamespacedName { return r.begin(name, name, woke) }

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
	// With that creation blocked for longer than the bound, the next one on
	// the server is not waited for.
	time.Sleep(1200 * time.Millisecond)
	behind := begin("behind")
	t0 = time.Now()
	if st, _ := c.Await(behind, time.Second); st.Done {
		t.Fatalf("a creation behind a blocked one finished: %+v", st)
	}
	if waited := time.Since(t0); waited > 800*time.Millisecond {
		t.Fatalf("Await waited %s for a creation on a server that blocks creations", waited)
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
	waitState(t, c, behind, func(s State) bool { return s.Done && s.Err == nil })
	if _, ok := c.Await(types.NamespacedName{Name: "unknown"}, time.Second); ok {
		t.Fatal("Await found a creation nobody began")
	}
}

// The creations of a failover or a batch come one reconcile at a time: a
// creation that begins within poolLinger of the last one's end reuses the
// server's pools (and their connection) instead of opening new ones.
func TestPoolsOutliveTheLastCreation(t *testing.T) {
	_, r := startCreatorRig(t, "linger")
	woke := make(chan struct{}, 100)
	server := types.NamespacedName{Namespace: "ns", Name: "db"}
	poolsOf := func() *postgres.Pools {
		r.c.mu.Lock()
		defer r.c.mu.Unlock()
		return r.c.pools[server]
	}
	first := r.begin("a", "linger_a", woke)
	if st := waitState(t, r.c, first, func(s State) bool { return s.Done }); st.Err != nil {
		t.Fatal(st.Err)
	}
	held := poolsOf()
	if held == nil {
		t.Fatal("the pools were let go as soon as the last creation ended")
	}
	second := r.begin("b", "linger_b", woke)
	if st := waitState(t, r.c, second, func(s State) bool { return s.Done }); st.Err != nil {
		t.Fatal(st.Err)
	}
	if poolsOf() != held {
		t.Fatal("the next creation opened new pools")
	}
	for deadline := time.Now().Add(10 * poolLinger); r.c.Servers() > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pools still held %s after the last creation", 10*poolLinger)
		}
	}
}
