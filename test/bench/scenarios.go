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

// failoverLarge is the slot count of the largest failover scenario, which
// is also the one whose recovery is broken down (failoverOps).
const failoverLarge = 1000

var failoverScenarios = []failoverScenario{{1, 0}, {1, time.Second}, {100, 0}, {100, time.Second}, {failoverLarge, 0}}

type failoverResult struct {
	Slots         int
	Poll          string
	Recovery      time.Duration // promoted standby accepts writes -> all Ready on it
	Detected      time.Duration // promote requested -> the server's status names the new primary
	OnPostgres    time.Duration // promote requested -> every slot exists on the promoted server
	LogicalSlots  int
	PhysicalSlots int
	SetupAllReady time.Duration // apply -> all Ready, before the failover
	// PostgreSQL's own serial creation of as many slots of each kind on the
	// promoted server, after the recovery (see rawOnPromoted).
	PGLogical, PGPhysical time.Duration
	Ops                   opsStats      // the operator's work during the recovery
	CPU                   cpuSample     // CPU used on the machine during the recovery
	SelfCPU               time.Duration // of that, this process: the controllers and the benchmark
	Dropped               time.Duration // delete all -> all gone, after the run
}

// PG is PostgreSQL's time for the whole set, both kinds one after the other.
func (r failoverResult) PG() time.Duration { return r.PGLogical + r.PGPhysical }

func slotObj(ns string, i int, logical bool) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("s%03d", i)},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotPhysical}}
	if logical {
		rs.Spec.Type, rs.Spec.Database = api.SlotLogical, "orders"
	}
	return rs
}

// failoverAll runs every failover scenario failoverRuns times.
func (h *harness) failoverAll(ctx context.Context, major int, fo failoverOptions) ([][]failoverResult, error) {
	enableRESTMetrics()
	var all [][]failoverResult
	for _, sc := range failoverScenarios {
		fmt.Printf("failover: %d slot(s), pollInterval %v (0 = default)\n", sc.slots, sc.poll)
		var runs []failoverResult
		for run := range failoverRuns {
			res, err := h.failover(ctx, major, sc, fo, run)
			if err != nil {
				return nil, fmt.Errorf("failover %+v: %w", sc, err)
			}
			fmt.Printf("failover: %d slots run %d: recovery %s, every slot on PostgreSQL %s, PostgreSQL %s (logical %s, physical %s); %s\n", sc.slots, run+1,
				ms(res.Recovery), ms(res.OnPostgres), ms(res.PG()), ms(res.PGLogical), ms(res.PGPhysical), res.Ops.line(sc.slots))
			runs = append(runs, res)
		}
		all = append(all, runs)
	}
	return all, nil
}

// failover declares the slots (half logical, half physical; a single slot
// is logical), crashes the primary, promotes the standby and times the
// recovery from the request to promote; then PostgreSQL's own time for the
// same slots on the promoted server.
func (h *harness) failover(ctx context.Context, major int, sc failoverScenario, fo failoverOptions, run int) (res failoverResult, err error) {
	res = failoverResult{Slots: sc.slots, Poll: "5s (default)"}
	if sc.poll > 0 {
		res.Poll = sc.poll.String()
	}
	p, s, err := startFailoverPair(ctx, major, sc)
	if err != nil {
		return res, err
	}
	defer p.Cleanup()
	defer s.Cleanup()
	ns, err := h.namespace(ctx, sc.poll, nil, p, s)
	if err != nil {
		return res, err
	}
	// Registered last, so it runs first: while the promoted server is up
	// the operator can finalize the objects.
	defer func() { res.Dropped = h.dropSlots(ctx, ns) }()
	if err := h.declareSlots(ctx, ns, p.Addr(), sc.slots, &res); err != nil {
		return res, err
	}
	if err := p.Crash(); err != nil {
		return res, err
	}
	if err := h.recoverOn(ctx, ns, s, sc, fo.profileRun(sc, run), &res); err != nil {
		return res, err
	}
	res.PGLogical, res.PGPhysical, err = rawOnPromoted(ctx, s, res.LogicalSlots, res.PhysicalSlots)
	return res, err
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
