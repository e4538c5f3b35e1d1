package pgtest

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestCDCCompareIDs(t *testing.T) {
	missing, extra, dup := CompareIDs([]int64{1, 2, 3, 4, 5}, []int64{5, 1, 1, 3, 7, 9, 9, 9})
	got := fmt.Sprint(missing, extra, dup)
	if want := "[2 4] [7 9] [1 9]"; got != want {
		t.Errorf("CompareIDs = %s, want %s", got, want)
	}
	if m, e, d := CompareIDs([]int64{1, 2}, []int64{1, 2}); m != nil || e != nil || d != nil {
		t.Errorf("CompareIDs of equal lists = %v %v %v", m, e, d)
	}
}

func TestSubscribeRejectsBadNames(t *testing.T) {
	s := &Server{Major: 17, name: "fake"} // never reached: validation comes first
	for _, names := range [][3]string{{"Sub", "s1", "p"}, {"sub", "s1; DROP", "p"}, {"sub", "s1", ""}} {
		if err := s.Subscribe(t.Context(), names[0], "host=x", names[1], names[2], true); err == nil {
			t.Errorf("Subscribe accepted %q", names)
		}
	}
}

// TestCDC runs a real subscription fed by a Load through a publisher restart
// and checks that every acknowledged row arrives once, with its LSN.
func TestCDC(t *testing.T) {
	major := slices.Max(MajorsFromEnv())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pub := StartPrimaryT(t, Options{Major: major, Name: "publisher"})
	must(t, pub.Exec(ctx, `CREATE TABLE t (id bigint, lsn pg_lsn DEFAULT pg_current_wal_insert_lsn());
		CREATE PUBLICATION p FOR TABLE t`))
	// Separately: a logical slot cannot be created in a transaction that wrote.
	must(t, pub.Exec(ctx, `SELECT pg_create_logical_replication_slot('s1', 'pgoutput')`))
	sub := StartPrimaryT(t, Options{Major: major, Name: "subscriber"})
	must(t, sub.Exec(ctx, `CREATE TABLE t (id bigint, lsn pg_lsn)`))
	must(t, sub.Subscribe(ctx, "sub", pub.SuperuserDSN("postgres"), "s1", "p", true))
	if major >= 17 && !scalar[bool](ctx, t, sub, `SELECT subfailover FROM pg_subscription WHERE subname = 'sub'`) {
		t.Error("subscription is not marked failover")
	}

	var dials atomic.Int32
	load := StartLoad(ctx, func() string { dials.Add(1); return pub.SuperuserDSN("postgres") }, "t")
	defer load.Stop()
	time.Sleep(time.Second)
	checkPauseResume(ctx, t, pub, load)

	// A restart breaks the load's connection: it must reconnect and go on.
	must(t, pub.Stop())
	must(t, pub.Start(ctx))
	before := load.Committed()
	eventually(ctx, t, "load to resume after the restart", func() bool { return load.Committed() > before+50 })
	committed := load.Stop()
	if dials.Load() < 3 { // first connection, after Resume, after the restart
		t.Errorf("connString called %d times, want at least 3", dials.Load())
	}
	t.Logf("%d rows committed, failed ids %v", len(committed), load.Failed())

	var got []int64
	eventually(ctx, t, "subscriber to catch up", func() bool {
		ids, err := sub.IDs(ctx, "t")
		got = ids
		missing, _, _ := CompareIDs(committed, ids)
		return err == nil && len(missing) == 0
	})
	missing, extra, dup := CompareIDs(committed, got)
	if len(missing) > 0 || len(dup) > 0 {
		t.Errorf("subscriber: missing %v, duplicated %v", missing, dup)
	}
	for _, id := range extra { // only an insert cut short may have committed unseen
		if !slices.Contains(load.Failed(), id) {
			t.Errorf("subscriber holds id %d, which the load never inserted", id)
		}
	}
	checkLSNs(ctx, t, pub, sub, committed)
}

// checkPauseResume: a paused load inserts nothing and holds no connection.
func checkPauseResume(ctx context.Context, t *testing.T, pub *Server, load *Load) {
	t.Helper()
	if load.Committed() == 0 {
		t.Fatal("load committed nothing in a second")
	}
	load.Pause()
	n := load.Committed()
	time.Sleep(200 * time.Millisecond)
	if load.Committed() != n {
		t.Errorf("paused load went on from %d to %d rows", n, load.Committed())
	}
	if got := scalar[int](ctx, t, pub, `SELECT count(*) FROM t`); got < n {
		t.Errorf("publisher has %d rows, load committed %d", got, n)
	}
	// The load closed its connection; the backend exits asynchronously.
	eventually(ctx, t, "paused load to hold no connection", func() bool {
		return scalar[int](ctx, t, pub, `SELECT count(*) FROM pg_stat_activity
			WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`) == 0
	})
	load.Resume()
	eventually(ctx, t, "load to resume", func() bool { return load.Committed() > n })
}

// checkLSNs: each committed row reached the subscriber with the LSN the
// publisher stamped on it.
func checkLSNs(ctx context.Context, t *testing.T, pub, sub *Server, committed []int64) {
	t.Helper()
	want, err := pub.IDLSNs(ctx, "t")
	must(t, err)
	got, err := sub.IDLSNs(ctx, "t")
	must(t, err)
	for _, id := range committed {
		if want[id] == "" || got[id] != want[id] {
			t.Fatalf("id %d: publisher lsn %q, subscriber lsn %q", id, want[id], got[id])
		}
	}
}
