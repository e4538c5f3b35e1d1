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
	major := flag.Int("major", 17, "PostgreSQL major version")
	only := flag.String("only", "", "run only this scenario ("+failoverReadyName+"; PGTEST_MAJORS picks its majors) and replace only its section of the file")
	flag.Parse()
	logf.SetLogger(logr.Discard())
	if err := run(*out, *major, *only); err != nil {
		pgtest.CleanupAll()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(out string, major int, only string) error {
	root, err := pgtest.RepoRoot()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(root, "BENCHMARKS.md")
	}
	ctx := context.Background()
	h, err := startHarness(ctx, root)
	if err != nil {
		return err
	}
	defer h.stop()
	defer pgtest.CleanupAll()
	switch only {
	case "":
	case failoverReadyName:
		return h.failoverReadyBench(ctx, out)
	default:
		return fmt.Errorf("-only %q: no such scenario (%s)", only, failoverReadyName)
	}
	r := &report{Major: major, Started: time.Now()}
	if r.ApplyToReady, err = h.applyToReady(ctx, major, 50); err != nil {
		return fmt.Errorf("apply to ready: %w", err)
	}
	if r.SelfHeal, err = h.selfHeal(ctx, major); err != nil {
		return err
	}
	for _, sc := range failoverScenarios {
		fmt.Printf("failover: %d slot(s), pollInterval %v (0 = default)\n", sc.slots, sc.poll)
		var runs []failoverResult
		for range failoverRuns {
			res, err := h.failover(ctx, major, sc)
			if err != nil {
				return fmt.Errorf("failover %+v: %w", sc, err)
			}
			runs = append(runs, res)
		}
		r.Failovers = append(r.Failovers, runs)
	}
	if err := r.write(out); err != nil {
		return err
	}
	return h.failoverReadyBench(ctx, out)
}
