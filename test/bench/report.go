package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

func startPairPrimaryOnly(ctx context.Context, major int) (*pgtest.Server, error) {
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "latency"})
	if err != nil {
		return nil, err
	}
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return nil, err
	}
	return p, p.CreateDatabase(ctx, "orders")
}

// waitPrimary returns how long after t0 the server's status named primary.
func (h *harness) waitPrimary(ctx context.Context, ns, primary string, t0 time.Time) time.Duration {
	for time.Since(t0) < time.Minute {
		var ps api.PostgresServer
		if err := h.c.Get(ctx, keyDB(ns), &ps); err == nil && ps.Status.Primary == primary {
			return time.Since(t0)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Minute
}

func (h *harness) waitServer(ctx context.Context, ns string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var ps api.PostgresServer
		if err := h.c.Get(ctx, keyDB(ns), &ps); err == nil && meta.IsStatusConditionTrue(ps.Status.Conditions, api.ConditionReady) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("server in %s not Ready", ns)
}

type report struct {
	Major        int
	Started      time.Time
	ApplyToReady latencies
	SelfHeal     selfHealResult
	Failovers    [][]failoverResult
}

func median(runs []failoverResult) failoverResult {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b failoverResult) int { return cmp.Compare(a.Recovery, b.Recovery) })
	return s[len(s)/2]
}

func slowestRun(runs []failoverResult) failoverResult {
	return slices.MaxFunc(runs, func(a, b failoverResult) int { return cmp.Compare(a.Recovery, b.Recovery) })
}

func (r *report) write(path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nWritten by `make bench` (test/bench) on %s. Each figure is one run; rerun `make bench` to refresh.\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s; %s; PostgreSQL %d (internal/pgtest, data in RAM when /dev/shm allows); kube-apiserver v1.36 (envtest); the operator's controllers in-process with default options.\n\n",
		cpuModel(), runtime.NumCPU(), memTotal(), runtime.Version(), r.Major)
	fmt.Fprintf(&b, "## apply → Ready, one logical slot at a time\n\nCreate a ReplicationSlot, poll the API (10 ms) until Ready=True; %d slots in sequence on an idle primary.\n\n", r.ApplyToReady.N)
	fmt.Fprintf(&b, "| p50 | p99 | target |\n|---|---|---|\n| %s | %s | ≤ 100 ms / ≤ 300 ms |\n\n", ms(r.ApplyToReady.P50), ms(r.ApplyToReady.P99))
	b.WriteString(failoverSection(r.Started, r.Major, r.Failovers))
	b.WriteString("\n## Blocked creation\n\n")
	b.WriteString("| scenario | time | target |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| primary: a transaction holding an xid blocks a logical slot's creation; its COMMIT → Ready | %s | ≤ 2 s |\n", ms(r.SelfHeal.CommitToReady))
	fmt.Fprintf(&b, "| standby of an idle primary, self-heal on (pg_log_standby_snapshot() every 1 s): apply → Ready | %s | ≤ 2 s |\n", ms(r.SelfHeal.StandbyHealed))
	fmt.Fprintf(&b, "| the same with standbySnapshot.mode: Disabled (control) | %s | — |\n", r.SelfHeal.StandbyDisabled)
	b.WriteString("\nThe primary is made idle first: the run waits for the bgwriter's periodic running-xacts record for the setup's WAL and creates the slot right after it. Without self-heal the creation then waits for the next running-xacts record, which PostgreSQL's bgwriter writes at most every 15 s and only after other WAL activity (a checkpoint writes one too): on a truly idle primary that is never, on this test primary it came after about 20 s in some runs. Where the standby's replay position falls relative to the last record decides whether a creation waits at all (in one run after 20 s of WAL silence the control creation finished at once).\n")
	b.WriteString("\nWhat bounds these: logical slot creation on the new primary (each waits for a consistent point), the reconcile workers (8 by default) and the 2 cores shared by PostgreSQL, kube-apiserver, etcd and the operator.\n")
	fmt.Print(b.String())
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func cpuModel() string { return procField("/proc/cpuinfo", "model name") }

func memTotal() string { return strings.TrimSpace(procField("/proc/meminfo", "MemTotal")) + " memory" }

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
