package main

import (
	"context"
	"fmt"
	"time"
)

// The scale scenario: one PostgreSQL 17 primary, the operator binary as a
// process (so its memory is its own, unlike the in-process controllers of
// the other scenarios) against a kube-apiserver of its own (so the
// apiserver's request counters hold only this scenario's traffic). Figures:
// N logical and N physical slots applied at once until all are Ready, next
// to PostgreSQL's own serial creation of as many; then a steady window with
// 10 idle slots and one with 2N, counting the operator's SQL statements,
// API writes, connections and memory. Its section of BENCHMARKS.md is
// spliced into the file, so `go run ./test/bench -only scale` refreshes it
// alone.

const (
	scaleName    = "scale"
	scaleHeading = "## Scale"
	scaleMajor   = 17
	// smallSlots is the control for "independent of slot count".
	smallSlots = 10
	// applyWorkers create objects concurrently, like a GitOps tool applying
	// a large directory.
	applyWorkers = 16
	// settle comes between all Ready and a steady window: longer than the
	// operator's 30 s figure refresh (controllers/slot_observe.go) plus two
	// polls, so that figures which changed while the slots were created
	// (each logical creation writes WAL, which moves every slot's retained
	// WAL) have been written before the window. Its writes are counted
	// apart.
	settle = 40 * time.Second
)

type scaleOptions struct {
	window  time.Duration // each steady window
	slots   int           // per kind
	observe string        // how all Ready is seen: observeWatch or observeList
	// profileDir, when set, turns the operator's pprof endpoint on and
	// receives its heap profile and memory statistics after each window.
	profileDir string
	// operatorEnv is extra KEY=VALUE environment for the operator process
	// (GOMEMLIMIT=..., GOGC=...), comma-separated.
	operatorEnv string
	// pin gives kube-apiserver and etcd a CPU of their own (scale_pin.go).
	pin bool
	// noPolicy leaves config/admission's finalizer policy out, as on
	// Kubernetes before 1.36: the operator then adds each finalizer itself.
	noPolicy bool
}

// batchResult is one "N slots applied at once" figure.
type batchResult struct {
	Kind     string        // logical, physical
	N        int           // objects applied
	Created  time.Duration // first create -> last create returned
	AllReady time.Duration // first create -> all Ready seen (0: not reached)
	Ready    int           // Ready when last seen
	Postgres time.Duration // PostgreSQL's serial creation of N slots
	Writes   []apiWrite    // write requests kube-apiserver served from the first create to all Ready
	CPU      time.Duration // the operator's CPU time over the same span
	Machine  cpuSample     // CPU of kube-apiserver, etcd, PostgreSQL and the whole machine, same span
	// Controllers are the operator's reconciles over the same span, per
	// controller.
	Controllers map[string]controllerStats
	List        time.Duration // one List of the whole batch, once it was Ready
	ObjBytes    int           // one object as JSON, on average
}

type scaleResult struct {
	Version           string
	Started           time.Time
	Opts              scaleOptions
	Logical, Physical batchResult
	Small, Large      steadyResult
	PeakRSS           int64 // KiB, VmHWM of the operator at the end
	// APIFloor is kube-apiserver's own time for one batch's fewest writes
	// (see apiFloor), measured before the operator started.
	APIFloor time.Duration
	// FailoverFloor is its time for the writes a failover costs the same
	// slots at the least (a status patch and an Event each).
	FailoverFloor time.Duration
	// FloorCPU is kube-apiserver's and etcd's CPU over the floor's writes.
	FloorCPU time.Duration
	// FloorHeld is the floor when the finalizer comes with the create
	// (heldFloor): three writes a slot.
	FloorHeld time.Duration
	// FailoverPatches is the failover's status patches alone, no Event.
	FailoverPatches time.Duration
	ApplyConns      int // max operator connections while the batches were applied
}

// scaleBench runs the scenario and splices its section into out.
func scaleBench(ctx context.Context, out string, opts scaleOptions) error {
	res := scaleResult{Started: time.Now(), Opts: opts}
	if opts.observe != observeWatch && opts.observe != observeList {
		return fmt.Errorf("-scale-observe %q: %s or %s", opts.observe, observeWatch, observeList)
	}
	r, err := startScaleRig(ctx, opts)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	defer r.close()
	if err := r.measure(ctx, &res); err != nil {
		for _, l := range r.op.Tail(20) {
			fmt.Println("operator:", l)
		}
		return fmt.Errorf("scale: %w", err)
	}
	section := scaleSection(res)
	fmt.Print(section)
	return spliceSection(out, scaleHeading, section)
}

// measure runs the phases in order: PostgreSQL's own creation times first,
// on a server without other slots, then the 10-slot window, then the
// batches and the 2N-slot window.
func (r *scaleRig) measure(ctx context.Context, res *scaleResult) error {
	ctx, cancel := r.op.Guard(ctx)
	defer cancel()
	var err error
	res.APIFloor, res.FailoverFloor, res.FloorCPU, res.FloorHeld = r.floor, r.failoverFloor, r.floorCPU, r.floorHeld
	res.FailoverPatches = r.failoverPatches
	res.Logical = batchResult{Kind: "logical", N: res.Opts.slots}
	res.Physical = batchResult{Kind: "physical", N: res.Opts.slots}
	if res.Version, err = serverVersion(ctx, r.pg); err != nil {
		return err
	}
	if res.Logical.Postgres, err = rawCreate(ctx, r.pg, true, res.Opts.slots); err != nil {
		return fmt.Errorf("PostgreSQL's own logical creation: %w", err)
	}
	if res.Physical.Postgres, err = rawCreate(ctx, r.pg, false, res.Opts.slots); err != nil {
		return fmt.Errorf("PostgreSQL's own physical creation: %w", err)
	}
	if err := r.smallWindow(ctx, res); err != nil {
		return err
	}
	r.samp.setPhase("apply")
	for _, b := range []*batchResult{&res.Logical, &res.Physical} {
		if err := r.applyBatch(ctx, b); err != nil {
			return err
		}
	}
	res.ApplyConns = r.samp.stats("apply").maxConns
	if res.Large, err = r.steady(ctx, "large", res.Logical.N+res.Physical.N, res.Opts.window); err != nil {
		return err
	}
	res.PeakRSS = r.samp.peakRSS()
	return nil
}

// smallWindow applies the control's slots, measures a window with them and
// deletes them again, so the large window has exactly 2N slots.
func (r *scaleRig) smallWindow(ctx context.Context, res *scaleResult) error {
	b := batchResult{Kind: "small", N: smallSlots}
	if err := r.applyBatch(ctx, &b); err != nil {
		return err
	}
	if b.AllReady == 0 {
		return fmt.Errorf("the %d control slots did not all become Ready", smallSlots)
	}
	var err error
	if res.Small, err = r.steady(ctx, "small", smallSlots, res.Opts.window); err != nil {
		return err
	}
	return r.deleteBatch(ctx, "small")
}
