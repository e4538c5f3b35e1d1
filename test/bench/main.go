// Command bench measures slotkeeper against real PostgreSQL and a real
// kube-apiserver, and writes the figures to BENCHMARKS.md. `make bench` runs
// it. Timings live here, not in test assertions.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

func main() {
	out := flag.String("out", "", "file to write (default BENCHMARKS.md at the repository root)")
	major := flag.Int("major", 17, "PostgreSQL major version (the scale scenario always uses 17)")
	only := flag.String("only", "", "run only this scenario ("+failoverName+"; "+failoverReadyName+": PGTEST_MAJORS picks its majors; "+patroniName+"; "+scaleName+") and replace only its section of the file")
	var fo failoverOptions
	flag.StringVar(&fo.profileDir, "failover-profile-dir", "", "failover: write a CPU profile of this process and a sample of what the slot workers wait on over each 1,000-slot recovery into this directory (costs the controllers CPU: the section's figures are taken without it)")
	var sc scaleOptions
	flag.DurationVar(&sc.window, "scale-window", 2*time.Minute, "scale: length of each steady-state window (10 slots, then 2,000)")
	flag.StringVar(&sc.observe, "scale-observe", observeWatch, "scale: how all Ready is seen: "+observeWatch+" or "+observeList+" (a List every 100 ms)")
	flag.IntVar(&sc.slots, "scale-slots", 1000, "scale: slots per kind (logical, physical); lower only to try the scenario out")
	flag.StringVar(&sc.profileDir, "scale-profile-dir", "", "scale: run the operator with --pprof-bind-address and write its heap profile and memory statistics into this directory after each window")
	flag.BoolVar(&sc.noPolicy, "scale-no-finalizer-policy", false, "scale: run without the finalizer policy of config/admission (as on Kubernetes before 1.36), so the operator adds each finalizer with a write of its own")
	flag.BoolVar(&sc.pin, "scale-pin", false, "scale: give kube-apiserver and etcd CPU 0 and the rest (PostgreSQL, the operator, this benchmark) CPU 1, as on a cluster whose control plane has CPUs of its own (needs taskset and 2 CPUs)")
	flag.StringVar(&sc.operatorEnv, "scale-operator-env", "", "scale: extra environment of the operator process, KEY=VALUE[,KEY=VALUE] (e.g. GOMEMLIMIT=80MiB)")
	flag.IntVar(&fleetOpts.servers, "fleet-servers", 100, "fleet (-only "+fleetName+", not part of the default run): PostgresServers on one operator, 10 slots each")
	flag.DurationVar(&fleetOpts.window, "fleet-window", time.Minute, "fleet: length of the idle window")
	flag.StringVar(&fleetOpts.profileDir, "fleet-profile-dir", "", "fleet: run the operator with --pprof-bind-address and write its CPU profile over the idle window into this directory (the window's figures then include the profiler's cost)")
	flag.Parse()
	logf.SetLogger(logr.Discard())
	if err := run(*out, *major, *only, sc, fo); err != nil {
		pgtest.CleanupAll()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(out string, major int, only string, sc scaleOptions, fo failoverOptions) error {
	root, err := pgtest.RepoRoot()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(root, "BENCHMARKS.md")
	}
	ctx := context.Background()
	defer pgtest.CleanupAll()
	switch only {
	case "":
	case scaleName:
		return scaleBench(ctx, out, sc)
	case fleetName:
		return fleetBench(ctx, out, fleetOpts)
	case failoverName, failoverReadyName, patroniName, onePollName:
		return inProcess(ctx, root, out, major, only, fo)
	default:
		return fmt.Errorf("-only %q: no such scenario (%s, %s, %s, %s, %s)", only, failoverName, failoverReadyName, patroniName, onePollName, scaleName)
	}
	if err := inProcess(ctx, root, out, major, "", fo); err != nil {
		return err
	}
	// After the in-process harness is gone: the scale scenario runs the
	// operator binary against its own kube-apiserver, and idle controllers
	// would only add noise.
	return scaleBench(ctx, out, sc)
}

// inProcess runs the scenarios that use the in-process controllers: all of
// them, or only the one named.
func inProcess(ctx context.Context, root, out string, major int, only string, fo failoverOptions) error {
	h, err := startHarness(ctx, root)
	if err != nil {
		return err
	}
	defer h.stop()
	defer pgtest.CleanupAll()
	switch only {
	case failoverName:
		return h.failoverBench(ctx, out, major, fo)
	case failoverReadyName:
		return h.failoverReadyBench(ctx, out)
	case patroniName:
		return h.patroniBench(ctx, out)
	case onePollName:
		return h.onePollBench(ctx, out)
	}
	r := &report{Major: major, Started: time.Now()}
	if r.ApplyToReady, err = h.applyToReady(ctx, major, 50); err != nil {
		return fmt.Errorf("apply to ready: %w", err)
	}
	if r.SelfHeal, err = h.selfHeal(ctx, major); err != nil {
		return err
	}
	if r.Failovers, err = h.failoverAll(ctx, major, fo); err != nil {
		return err
	}
	if err := r.write(out); err != nil {
		return err
	}
	if err := h.failoverReadyBench(ctx, out); err != nil {
		return err
	}
	if err := h.onePollBench(ctx, out); err != nil {
		return err
	}
	return h.patroniBench(ctx, out)
}
