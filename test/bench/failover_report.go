package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The failover section of BENCHMARKS.md. It is spliced into the file, so
// that `go run ./test/bench -only failover` refreshes it alone.
const (
	failoverName    = "failover"
	failoverHeading = "## Failover recovery"
	// failoverMargin is what the large scenario may take beyond PostgreSQL's
	// own time to create its slots.
	failoverMargin = time.Second
	// failoverTarget100 bounds the slowest of the 100-slot runs.
	failoverTarget100 = 2 * time.Second
)

// failoverBench runs the failover scenarios alone and writes their section
// into the file at out.
func (h *harness) failoverBench(ctx context.Context, out string, major int, fo failoverOptions) error {
	started := time.Now()
	all, err := h.failoverAll(ctx, major, fo)
	if err != nil {
		return err
	}
	section := failoverSection(started, major, all)
	fmt.Print(section)
	return spliceSection(out, failoverHeading, section)
}

func failoverSection(started time.Time, major int, all [][]failoverResult) string {
	var b strings.Builder
	b.WriteString(failoverHeading + "\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (or `go run ./test/bench -only failover`, which refreshes this section alone) on %s. Machine: %s; PostgreSQL %d (internal/pgtest, fsync off); kube-apiserver v1.36 (envtest); the operator's controllers in this process with default options (8 slot workers). **The %d CPUs are shared** by PostgreSQL, kube-apiserver, etcd, the controllers, this benchmark and, on this machine, other engineers' test runs at the same time.\n\n",
		started.UTC().Format("2006-01-02 15:04 MST"), machine(), major, runtime.NumCPU())
	fmt.Fprintf(&b, "A primary and a streaming standby; the slots (half logical, half physical; a single slot is logical) Ready on the primary; then `immediate` stop of the primary and promotion of the standby. Measured: from the request to promote the standby to every slot Ready on it (the informer cache polled every 10 ms, every 100 ms for 1,000 slots); this includes the promotion itself, so it is an upper bound of the time from the standby accepting writes. Each scenario runs three times on fresh servers: the median and the slowest run are shown. Detection comes from the monitor's sentinel connection breaking, not from the poll. `max_replication_slots` is 300 (%d for %s slots, which the promoted server holds twice over during PostgreSQL's own run), `max_wal_senders` 20.\n\n",
		2*failoverLarge+100, thousands(failoverLarge))
	b.WriteString("PostgreSQL's own serial creation is measured in the same run, on the promoted server right after the operator recovered the slots there, as superuser, one statement per kind: `SELECT count(pg_create_logical_replication_slot('raw_l'||i, 'pgoutput')) FROM generate_series(1, n) i` in database orders (the operator's logical slots: pgoutput, no two-phase, no failover), then `pg_create_physical_replication_slot('raw_p'||i, true)` (reserving WAL, as `reserveWAL` defaults to); the slots are dropped again, and after each run the ReplicationSlots and then the PostgresServer are deleted and finalized, so that no run's objects are reconciled or probed during the next.\n\n")
	b.WriteString("The column \"every slot on PostgreSQL\" is the same span to the moment the promoted server first holds all the operator's slots (a count of `pg_replication_slots` every 20 ms, whatever status says): from then on every consumer can connect again.\n\n")
	b.WriteString("| slots | pollInterval | recovery (median) | slowest | every slot on PostgreSQL (median run) | PostgreSQL's own serial creation (median) | target | result | new primary in status (median run) | setup: all Ready after apply (median run) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, runs := range all {
		f, slowest := median(runs), slowestRun(runs)
		target, result := failoverVerdict(runs)
		fmt.Fprintf(&b, "| %s (%d logical, %d physical) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", thousands(f.Slots), f.LogicalSlots, f.PhysicalSlots,
			f.Poll, ms(f.Recovery), ms(slowest.Recovery), ms(f.OnPostgres), ms(medianPG(runs)), target, result, ms(f.Detected), ms(f.SetupAllReady))
	}
	for _, runs := range all {
		if runs[0].Slots == failoverLarge {
			writeFailoverOps(&b, runs)
		}
	}
	return b.String()
}

// failoverVerdict gives a scenario's target and whether it was met; the
// scenarios without a target get dashes.
func failoverVerdict(runs []failoverResult) (string, string) {
	f := runs[0]
	switch {
	case f.Slots == 100 && strings.HasPrefix(f.Poll, "5s"):
		return "slowest of three ≤ 2 s", metMiss(slowestRun(runs).Recovery <= failoverTarget100)
	case f.Slots == failoverLarge:
		return "every slot back within PostgreSQL's time + 1 s (each run)",
			"Ready in status: " + withinPG(runs, func(r failoverResult) time.Duration { return r.Recovery }) +
				"; on PostgreSQL: " + withinPG(runs, func(r failoverResult) time.Duration { return r.OnPostgres })
	}
	return "—", "—"
}

// withinPG judges the runs' span (to Ready, or to every slot on
// PostgreSQL) against PostgreSQL's own time + failoverMargin, by the worst
// run.
func withinPG(runs []failoverResult, span func(failoverResult) time.Duration) string {
	worst := slices.MaxFunc(runs, func(a, b failoverResult) int {
		return int((span(a) - a.PG()) - (span(b) - b.PG()))
	})
	return metMiss(span(worst) <= worst.PG()+failoverMargin) +
		fmt.Sprintf(" (worst run: %s over PostgreSQL's %s)", ms(span(worst)-worst.PG()), ms(worst.PG()))
}

func metMiss(ok bool) string {
	if ok {
		return "met"
	}
	return "**miss**"
}

func medianPG(runs []failoverResult) time.Duration {
	var ds []time.Duration
	for _, r := range runs {
		ds = append(ds, r.PG())
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func thousands(n int) string {
	if n < 1000 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d,%03d", n/1000, n%1000)
}
