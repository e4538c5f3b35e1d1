package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fleetApply is apply → Ready of new slots while the fleet runs.
type fleetApply struct {
	N             int
	P50, P99, Max time.Duration
	NotReady      int // timed slots not Ready within readyLimit
	// Controllers are the operator's reconciles over the phase, from its
	// metrics: whether the time went to queueing or to the reconciles.
	Controllers map[string]controllerStats
	Busy        float64 // the machine's busy share of its CPUs over the phase
}

// applyOneByOne creates n logical slots one after another, each into the
// server pick returns (slot names from j0 on), and times each from Create
// to the moment a watch started before the create delivers Ready=True: the
// scale scenario's readyWatch for a batch of one, selected by a label of
// its own, so no poll interval rounds the figure and no List of the fleet
// loads the CPUs while it runs.
func (r *fleetRig) applyOneByOne(ctx context.Context, phase string, n, j0 int, pick func() int) (res fleetApply, err error) {
	fmt.Printf("fleet: %s: %d slots one after another\n", phase, n)
	r.setPhase(phase)
	res = fleetApply{N: n}
	var ds []time.Duration
	ctl0, m0, t0 := scrapeControllers(ctx, r.metrics), sampleCPU(), time.Now()
	defer func() {
		res.Controllers = subControllers(scrapeControllers(ctx, r.metrics), ctl0)
		res.Busy = busyShare(sampleCPU().sub(m0), time.Since(t0))
	}()
	for k := range n {
		i := pick()
		d, err := r.applyOne(ctx, i, j0+2*k)
		if err != nil {
			return res, err
		}
		if d == 0 {
			res.NotReady++
			continue
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return res, fmt.Errorf("none of %d slots became Ready", n)
	}
	slices.Sort(ds)
	res.P50, res.P99, res.Max = ds[len(ds)/2], ds[(len(ds)*99)/100], ds[len(ds)-1]
	fmt.Printf("fleet: %s: apply → Ready p50 %s, p99 %s, max %s\n", phase, ms(res.P50), ms(res.P99), ms(res.Max))
	return res, nil // res.Controllers is set by the deferred scrape
}

// control declares server 1 alone and times fleetControlApplies slots on
// it (names from 200 on, clear of the later ones), before the fleet.
func (r *fleetRig) control(ctx context.Context) (fleetApply, error) {
	var setup fleetSetup
	if err := r.declareServers(ctx, &setup, []int{1}); err != nil {
		return fleetApply{}, err
	}
	return r.applyOneByOne(ctx, "control", fleetControlApplies, 200, func() int { return 1 })
}

// applyOne creates logical slot j of server i and returns how long it took
// to be seen Ready (0: not within readyLimit). j is even, so logical.
func (r *fleetRig) applyOne(ctx context.Context, i, j int) (time.Duration, error) {
	batch := fmt.Sprintf("%s-%d-%d", fleetName, i, j)
	ns := r.servers[i].ns
	rw := &readyWatch{n: 1, ready: map[string]bool{}, done: make(chan struct{})}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go rw.follow(wctx, r.c, []client.ListOption{client.InNamespace(ns), client.MatchingLabels{batchLabel: batch}})
	t0 := time.Now()
	if err := r.c.Create(ctx, fleetSlot(ns, batch, i, j)); err != nil {
		return 0, err
	}
	b := batchResult{N: 1}
	rw.wait(ctx, t0, &b)
	return b.AllReady, ctx.Err()
}
