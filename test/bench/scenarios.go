package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

type failoverScenario struct {
	slots int
	poll  time.Duration // 0: the default (5s)
}

// failoverRuns repeats each scenario on fresh servers: one run is noise.
const failoverRuns = 3

var failoverScenarios = []failoverScenario{{1, 0}, {1, time.Second}, {100, 0}, {100, time.Second}}

type failoverResult struct {
	Slots         int
	Poll          string
	Recovery      time.Duration // promoted standby accepts writes -> all Ready on it
	Detected      time.Duration // promote requested -> the server's status names the new primary
	LogicalSlots  int
	PhysicalSlots int
	SetupAllReady time.Duration // apply -> all Ready, before the failover
}

func slotObj(ns string, i int, logical bool) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("s%03d", i)},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotPhysical}}
	if logical {
		rs.Spec.Type, rs.Spec.Database = api.SlotLogical, "orders"
	}
	return rs
}

// failover declares the slots (half logical, half physical; a single slot
// is logical), crashes the primary, promotes the standby and times the
// recovery from the moment the standby accepts writes.
func (h *harness) failover(ctx context.Context, major int, sc failoverScenario) (failoverResult, error) {
	res := failoverResult{Slots: sc.slots, Poll: "5s (default)"}
	if sc.poll > 0 {
		res.Poll = sc.poll.String()
	}
	p, s, err := startPair(ctx, major, fmt.Sprintf("fo%d_%d", sc.slots, sc.poll/time.Second))
	if err != nil {
		return res, err
	}
	defer p.Cleanup()
	defer s.Cleanup()
	ns, err := h.namespace(ctx, sc.poll, nil, p, s)
	if err != nil {
		return res, err
	}
	start := time.Now()
	for i := range sc.slots {
		logical := i%2 == 0
		if logical {
			res.LogicalSlots++
		} else {
			res.PhysicalSlots++
		}
		if err := h.c.Create(ctx, slotObj(ns, i, logical)); err != nil {
			return res, err
		}
	}
	if err := h.waitReady(ctx, ns, p.Addr(), sc.slots, 2*time.Minute); err != nil {
		return res, err
	}
	res.SetupAllReady = time.Since(start)
	if err := p.Crash(); err != nil {
		return res, err
	}
	// Timed from the promote request: pgtest notices the end of recovery
	// only at its next check, by which time the operator may already be done,
	// so this includes the promotion itself and errs on the slow side.
	t0 := time.Now()
	if err := s.Promote(ctx); err != nil {
		return res, err
	}
	detected := make(chan time.Duration, 1)
	go func() { detected <- h.waitPrimary(ctx, ns, s.Addr(), t0) }()
	if err := h.waitReady(ctx, ns, s.Addr(), sc.slots, 2*time.Minute); err != nil {
		return res, err
	}
	res.Recovery = time.Since(t0)
	res.Detected = <-detected
	return res, nil
}

type latencies struct {
	N        int
	P50, P99 time.Duration
}

// applyToReady creates n logical slots one after another and times each
// from Create to Ready=True as a client watching status would see it.
func (h *harness) applyToReady(ctx context.Context, major, n int) (latencies, error) {
	p, err := startPairPrimaryOnly(ctx, major)
	if err != nil {
		return latencies{}, err
	}
	defer p.Cleanup()
	ns, err := h.namespace(ctx, 0, nil, p)
	if err != nil {
		return latencies{}, err
	}
	if err := h.waitServer(ctx, ns); err != nil {
		return latencies{}, err
	}
	var ds []time.Duration
	for i := range n {
		t0 := time.Now()
		if err := h.c.Create(ctx, slotObj(ns, i, true)); err != nil {
			return latencies{}, err
		}
		if err := h.waitReady(ctx, ns, "", i+1, time.Minute); err != nil {
			return latencies{}, err
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return latencies{N: n, P50: ds[n/2], P99: ds[(n*99)/100]}, nil
}
