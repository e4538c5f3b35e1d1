package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// The "truth within one poll" scenarios: how long after something becomes
// true the status (or the standby) follows, with the default pollInterval.

// onePollRuns repeats each scenario: the figures depend on where in the
// poll cycle the change falls.
const onePollRuns = 5

// copyCatchUp: a physical slot with failover: true, Ready, its copy on the
// standby made; then, onePollRuns times, WAL is written and the primary's
// slot advanced to it (as a consumer would move it; the last write), and
// the time until the standby's copy has reached the same restart_lsn is
// measured (the standby polled every 10 ms as superuser).
func (h *harness) copyCatchUp(ctx context.Context, major int) ([]time.Duration, error) {
	p, s, ns, cleanup, err := h.pairNamespace(ctx, major, "onepoll_copy")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rs := slotObj(ns, 0, false)
	rs.Spec.Failover = true
	if err := h.c.Create(ctx, rs); err != nil {
		return nil, err
	}
	if err := waitFor(time.Minute, func() bool { _, ok := restartLSN(ctx, s, "s000"); return ok }); err != nil {
		return nil, fmt.Errorf("no copy on the standby: %w", err)
	}
	var out []time.Duration
	for range onePollRuns {
		d, err := advanceAndFollow(ctx, p, s, "s000")
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// pairNamespace starts a primary and a streaming standby and a namespace
// with a PostgresServer for both; cleanup stops the servers.
func (h *harness) pairNamespace(ctx context.Context, major int, name string) (p, s *pgtest.Server, ns string, cleanup func(), err error) {
	p, s, err = startPair(ctx, major, name)
	if err != nil {
		return nil, nil, "", nil, err
	}
	cleanup = func() { s.Cleanup(); p.Cleanup() }
	if ns, err = h.namespace(ctx, 0, nil, p, s); err != nil {
		cleanup()
		return nil, nil, "", nil, err
	}
	return p, s, ns, cleanup, nil
}

// advanceAndFollow writes WAL, moves the primary's slot to its end and
// times the copy on the standby reaching that point.
func advanceAndFollow(ctx context.Context, p, s *pgtest.Server, slot string) (time.Duration, error) {
	if err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS onepoll(x int); INSERT INTO onepoll SELECT generate_series(1, 1000)"); err != nil {
		return 0, err
	}
	if err := p.Exec(ctx, "SELECT pg_replication_slot_advance($1, pg_current_wal_flush_lsn())", slot); err != nil {
		return 0, err
	}
	want, _ := restartLSN(ctx, p, slot)
	t0 := time.Now()
	err := waitForEvery(10*time.Millisecond, time.Minute, func() bool {
		got, ok := restartLSN(ctx, s, slot)
		return ok && got >= want
	})
	return time.Since(t0), err
}

// restartLSN reads a slot's restart_lsn as a number (superuser).
func restartLSN(ctx context.Context, srv *pgtest.Server, slot string) (int64, bool) {
	return slotNumber(ctx, srv, "restart_lsn - '0/0'::pg_lsn", slot)
}

// slotNumber reads one figure of a slot, expr over its row in
// pg_replication_slots (a constant of the caller's), as superuser; false
// when the slot or the figure is missing.
func slotNumber(ctx context.Context, srv *pgtest.Server, expr, slot string) (int64, bool) {
	conn, err := srv.Connect(ctx, "postgres")
	if err != nil {
		return 0, false
	}
	defer conn.Close(ctx)
	var n *int64
	err = conn.QueryRow(ctx, "SELECT "+expr+" FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&n)
	if err != nil || n == nil {
		return 0, false
	}
	return *n, true
}

// waitForEvery polls cond every step for up to limit.
func waitForEvery(step, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit)
		}
		time.Sleep(step)
	}
	return nil
}

// walLevelBack: a logical slot on the standby (invalidationPolicy
// Recreate) is invalidated when the primary restarts with wal_level
// replica and waits as WALLevelTooLow; then the primary restarts with
// wal_level logical, and the time from that restart's end to Ready=True is
// measured.
func (h *harness) walLevelBack(ctx context.Context, major int) (time.Duration, error) {
	p, s, err := startPair(ctx, major, "onepoll_wal")
	if err != nil {
		return 0, err
	}
	defer p.Cleanup()
	defer s.Cleanup()
	if err := p.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+role); err != nil {
		return 0, err
	}
	ns, err := h.namespace(ctx, 0, nil, p, s)
	if err != nil {
		return 0, err
	}
	rs := slotObj(ns, 0, true)
	rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: s.Host, Port: int32(s.Port)}
	if err := h.c.Create(ctx, rs); err != nil {
		return 0, err
	}
	if err := h.waitReady(ctx, ns, s.Addr(), 1, time.Minute); err != nil {
		return 0, err
	}
	if err := p.SetSettings(ctx, map[string]string{"wal_level": "replica"}, true); err != nil {
		return 0, err
	}
	if _, err := h.waitSlotNamed(ctx, ns, rs.Name, time.Minute, "WALLevelTooLow", reasonIs(api.ConditionReady, metav1.ConditionFalse, api.ReasonWALLevelTooLow)); err != nil {
		return 0, err
	}
	if err := p.SetSettings(ctx, map[string]string{"wal_level": "logical"}, true); err != nil {
		return 0, err
	}
	t0 := time.Now()
	_, err = h.waitSlotNamed(ctx, ns, rs.Name, time.Minute, "Ready", reasonIs(api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable))
	return time.Since(t0), err
}
