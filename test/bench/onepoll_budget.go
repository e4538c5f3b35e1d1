package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	obs "github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// budgetBytes is both budgets of the budget scenario: the managed slot's
// spec.maxRetainedWAL and the server's spec.maxUnmanagedRetainedWAL.
const budgetBytes = 48 << 20

// budgetTimes are the budget scenario's figures: a managed slot's
// WALRetentionHealthy and the server's UnmanagedWALRetentionHealthy
// following their retention over the budget and back within it.
type budgetTimes struct{ slotOver, slotBack, serverOver, serverBack []time.Duration }

// budgetCrossings: one primary with a managed logical slot and an
// unmanaged physical one, both inactive. onePollRuns times, WAL is switched until
// each slot retains more than its budget (as the status rounds it), and
// the time from the switch that crossed to False (OverBudget) in the API is
// measured; then both slots are moved to the end of WAL, and the time to
// True (WithinBudget) is measured.
func (h *harness) budgetCrossings(ctx context.Context, major int) (budgetTimes, error) {
	var bt budgetTimes
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "onepoll_budget"})
	if err != nil {
		return bt, err
	}
	defer p.Cleanup()
	budget := api.NewQuantity(*resource.NewQuantity(budgetBytes, resource.BinarySI))
	ns, err := h.budgetSetup(ctx, p, budget)
	if err != nil {
		return bt, err
	}
	for range onePollRuns {
		over, err := h.crossOver(ctx, p, ns)
		if err != nil {
			return bt, err
		}
		bt.slotOver, bt.serverOver = append(bt.slotOver, over[0]), append(bt.serverOver, over[1])
		back, err := h.crossBack(ctx, p, ns)
		if err != nil {
			return bt, err
		}
		bt.slotBack, bt.serverBack = append(bt.slotBack, back[0]), append(bt.serverBack, back[1])
	}
	return bt, nil
}

// budgetSetup makes the role, the database, the server with its unmanaged
// budget, the managed slot s000 with its own, and the unmanaged slot.
func (h *harness) budgetSetup(ctx context.Context, p *pgtest.Server, budget *api.Quantity) (string, error) {
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return "", err
	}
	if err := p.CreateDatabase(ctx, "orders"); err != nil {
		return "", err
	}
	ns, err := h.namespaceFor(ctx, api.PostgresServerSpec{MaxUnmanagedRetainedWAL: budget,
		Hosts: []api.HostPort{{Host: p.Host, Port: int32(p.Port)}}})
	if err != nil {
		return "", err
	}
	rs := slotObj(ns, 0, true)
	rs.Spec.MaxRetainedWAL = budget
	if err := h.c.Create(ctx, rs); err != nil {
		return "", err
	}
	if err := h.waitReady(ctx, ns, p.Addr(), 1, time.Minute); err != nil {
		return "", err
	}
	// Physical, so that one advance from the managed slot's database moves both.
	return ns, p.Exec(ctx, "SELECT pg_create_physical_replication_slot('unmanaged_standby', true)")
}

// crossOver switches WAL until both slots are over budget, noting when
// each crossed, and returns how long after that each condition turned.
func (h *harness) crossOver(ctx context.Context, p *pgtest.Server, ns string) ([2]time.Duration, error) {
	var crossed [2]time.Time
	for n := 0; crossed[0].IsZero() || crossed[1].IsZero(); n++ {
		if n == 40 { // 640 MiB of WAL: the retention is not being read
			return [2]time.Duration{}, fmt.Errorf("slots not over their budgets after %d WAL switches", n)
		}
		if err := p.Exec(ctx, "SELECT pg_switch_wal(); CREATE TABLE IF NOT EXISTS budget(x int); INSERT INTO budget VALUES (1)"); err != nil {
			return [2]time.Duration{}, err
		}
		now := time.Now()
		// As the status judges each: the slot's own figure, the unmanaged
		// total rounded down to 16 MiB.
		if b, ok := retainedOn(ctx, p, "s000"); ok && b > budgetBytes && crossed[0].IsZero() {
			crossed[0] = now
		}
		if b, ok := retainedOn(ctx, p, "unmanaged_standby"); ok && obs.QuantizeBytes(b) > budgetBytes && crossed[1].IsZero() {
			crossed[1] = now
		}
	}
	return h.followBoth(ctx, ns, crossed, metav1.ConditionFalse, api.ReasonOverBudget)
}

// crossBack moves both slots to the end of WAL, as their consumers would,
// until both are within budget, and times the conditions from the move
// that brought them there. A logical slot's restart_lsn moves only to a
// running-xacts record the advance decodes: each try writes one first
// (CHECKPOINT); once in a run one was not enough.
func (h *harness) crossBack(ctx context.Context, p *pgtest.Server, ns string) ([2]time.Duration, error) {
	conn, err := p.Connect(ctx, "orders") // a logical slot moves only from its own database
	if err != nil {
		return [2]time.Duration{}, err
	}
	defer conn.Close(ctx)
	var moved time.Time
	err = waitForEvery(100*time.Millisecond, time.Minute, func() bool {
		_, err := conn.Exec(ctx, "CHECKPOINT; SELECT pg_replication_slot_advance(slot_name, pg_current_wal_lsn()) FROM pg_replication_slots")
		moved = time.Now()
		a, okA := retainedOn(ctx, p, "s000")
		b, okB := retainedOn(ctx, p, "unmanaged_standby")
		return err == nil && okA && okB && a <= budgetBytes && obs.QuantizeBytes(b) <= budgetBytes
	})
	if err != nil {
		return [2]time.Duration{}, fmt.Errorf("slots not back within budget: %w", err)
	}
	return h.followBoth(ctx, ns, [2]time.Time{moved, moved}, metav1.ConditionTrue, api.ReasonWithinBudget)
}

// followBoth waits, reading the API every 10 ms, for the slot's
// WALRetentionHealthy and the server's UnmanagedWALRetentionHealthy to
// have status st and reason, and returns each one's time since its since.
func (h *harness) followBoth(ctx context.Context, ns string, since [2]time.Time, st metav1.ConditionStatus, reason string) ([2]time.Duration, error) {
	var took [2]time.Duration
	err := waitForEvery(10*time.Millisecond, 2*time.Minute, func() bool {
		var rs api.ReplicationSlot
		var ps api.PostgresServer
		if took[0] == 0 && h.c.Get(ctx, keyOf(ns, "s000"), &rs) == nil && condIs(rs.Status.Conditions, api.ConditionWALRetentionHealthy, st, reason) {
			took[0] = time.Since(since[0])
		}
		if took[1] == 0 && h.c.Get(ctx, keyDB(ns), &ps) == nil && condIs(ps.Status.Conditions, api.ConditionUnmanagedWALRetentionHealthy, st, reason) {
			took[1] = time.Since(since[1])
		}
		return took[0] > 0 && took[1] > 0
	})
	if err != nil {
		err = fmt.Errorf("retention %s: %w", reason, err)
	}
	return took, err
}

func condIs(conds []metav1.Condition, t string, st metav1.ConditionStatus, reason string) bool {
	c := meta.FindStatusCondition(conds, t)
	return c != nil && c.Status == st && c.Reason == reason
}

// retainedOn reads what a slot retains, as the monitor computes it
// (superuser).
func retainedOn(ctx context.Context, srv *pgtest.Server, slot string) (int64, bool) {
	return slotNumber(ctx, srv, "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint", slot)
}
