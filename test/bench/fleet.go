package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"
)

// The fleet scenario: many PostgresServers with a few slots each on one
// operator process, the question issue 17 §4 asks ("does one operator hold
// a fleet?"). It reuses the scale scenario's rig (the operator binary with
// its metrics endpoint, a kube-apiserver of its own, the RSS sampler) but
// declares -fleet-servers servers in as many namespaces. A hundred
// PostgreSQL instances do not fit on this 2-CPU machine next to everything
// else, so fleetPerInstance servers share one PostgreSQL primary; each
// still has its own role, Secret, monitor, probes and pools, exactly as if
// it were alone. One server is a primary with a streaming standby, for the
// failover figure. Its section of BENCHMARKS.md is spliced into the file,
// so `go run ./test/bench -only fleet` refreshes it alone.

const (
	fleetName    = "fleet"
	fleetHeading = "## A fleet on one operator"
	// fleetPerInstance servers share one PostgreSQL primary: 10 keeps each
	// instance's connections (about 3 per server idle, more while slots
	// are created) well inside pgtest's max_connections of 100.
	fleetPerInstance = 10
	// fleetSlotsPerServer slots per server, half logical, half physical.
	fleetSlotsPerServer = 10
	// fleetApplies new slots are timed one after another while the fleet
	// runs, like the in-process "apply → Ready" section's 50.
	fleetApplies = 50
	// fleetControlApplies slots are timed the same way before the fleet is
	// declared, with server 1 alone: what the machine's load does to the
	// figure, apart from the fleet.
	fleetControlApplies = 20
	// Targets of issue 17 §4.
	fleetRSSTarget     = 200 << 10 // KiB
	fleetApplyP99      = 300 * time.Millisecond
	fleetConnsPerSrv   = 3
	fleetNamespaceBase = "fleet-"
	// pairRole is server 0's role, the server with two members.
	pairRole = "sk_000"
)

// fleetOpts is set by main's -fleet-* flags.
var fleetOpts fleetOptions

type fleetOptions struct {
	servers int           // PostgresServers, the first of them the primary+standby pair
	window  time.Duration // the idle window
	// profileDir, when set, turns the operator's pprof endpoint on and
	// writes its CPU profile over the idle window there.
	profileDir string
}

type fleetResult struct {
	Started   time.Time
	Opts      fleetOptions
	Version   string
	Instances int // PostgreSQL primaries the servers share (the pair not counted)
	Empty     operatorFigures
	Control   fleetApply // apply → Ready with one server declared, same run
	Setup     fleetSetup
	Idle      fleetIdle
	Apply     fleetApply
	Failover  fleetFailover
	PeakRSS   int64  // KiB, VmHWM of the operator at the end
	Load      string // /proc/loadavg when the run started: other users of the machine
}

// operatorFigures is the operator process at one moment.
type operatorFigures struct {
	RSS        int64 // KiB
	GoHeap     int64 // KiB
	Goroutines int
}

// fleetSetup is how long the fleet took to come up: every server Ready,
// then every slot, all created at once by applyWorkers goroutines.
type fleetSetup struct {
	ServersReady time.Duration
	Slots        int
	SlotsReady   time.Duration
	MaxConns     int           // the most operator backends on all instances together
	LockWaits    int           // the most of them waiting for a lock at once
	CPU          time.Duration // the operator's, first create to all Ready
	Busy         float64       // the machine's busy share of its CPUs meanwhile
	Writes       []apiWrite
	Controllers  map[string]controllerStats // the operator's reconciles meanwhile
}

// fleetBench runs the scenario and splices its section into out.
func fleetBench(ctx context.Context, out string, opts fleetOptions) error {
	if opts.servers < 2 {
		return fmt.Errorf("-fleet-servers %d: at least 2 (the pair and one more)", opts.servers)
	}
	res := fleetResult{Started: time.Now(), Opts: opts, Load: loadAvg()}
	r, err := startFleetRig(ctx, opts)
	if err != nil {
		if r != nil {
			r.close()
		}
		return fmt.Errorf("fleet: %w", err)
	}
	defer r.close()
	if err := r.measure(ctx, &res); err != nil {
		for _, l := range r.op.Tail(20) {
			fmt.Println("operator:", l)
		}
		return fmt.Errorf("fleet: %w", err)
	}
	section := fleetSection(res)
	fmt.Print(section)
	return spliceSection(out, fleetHeading, section)
}

// measure runs the phases in order: the empty operator, the control (one
// server), the fleet coming up, the idle window, new slots one at a time,
// and the pair's failover last (it leaves a stopped primary behind).
func (r *fleetRig) measure(ctx context.Context, res *fleetResult) error {
	ctx, cancel := r.op.Guard(ctx)
	defer cancel()
	var err error
	res.Instances = len(r.shared)
	if res.Version, err = serverVersion(ctx, r.pg); err != nil {
		return err
	}
	res.Empty = r.figures(ctx, "empty")
	if res.Control, err = r.control(ctx); err != nil {
		return err
	}
	if err := r.declareServers(ctx, &res.Setup, r.rest()); err != nil {
		return err
	}
	if err := r.declareSlots(ctx, &res.Setup); err != nil {
		return err
	}
	if res.Idle, err = r.idle(ctx, r.fopts.window); err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(17, 4)) // the same servers every run
	pick := func() int { return rnd.IntN(len(r.servers)) }
	if res.Apply, err = r.applyOneByOne(ctx, "apply", fleetApplies, fleetSlotsPerServer, pick); err != nil {
		return err
	}
	if res.Failover, err = r.failover(ctx); err != nil {
		return err
	}
	res.PeakRSS = r.samp.peakRSS()
	return nil
}

// figures reads the operator's RSS (the sampler's median in phase, or the
// current value when it has none), Go heap and goroutines.
func (r *fleetRig) figures(ctx context.Context, phase string) operatorFigures {
	f := operatorFigures{RSS: medianKiB(r.samp.stats(phase).rss), GoHeap: goHeap(ctx, r.metrics)}
	if f.RSS == 0 {
		f.RSS = procStatusKiB(r.op.Pid(), "VmRSS")
	}
	if ms := scrapeOperator(ctx, r.metrics)["go_goroutines"].GetMetric(); len(ms) > 0 {
		f.Goroutines = int(ms[0].GetGauge().GetValue())
	}
	return f
}

// loadAvg is the 1, 5 and 15 minute load averages: on a shared 2-CPU
// machine they say how much of it this run had.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " / ")
	}
	return "unknown"
}

// busyShare is the machine's busy time over a span as a share of all its
// CPUs.
func busyShare(m cpuSample, span time.Duration) float64 {
	return m.machine.Seconds() / (span.Seconds() * float64(runtime.NumCPU()))
}
