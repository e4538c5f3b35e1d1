package main

import (
	"fmt"
	"strings"
)

// thousand is the fleet size the closing paragraph extrapolates to.
const thousand = 1000

// fleetScale is the per-server cost the run measured and its linear
// extrapolation to thousand servers. Linear is the honest assumption for
// what each server owns (a monitor, pools, objects in the cache); what the
// operator shares (informers, watches, the 8 slot workers) does not grow
// with servers, and the paragraph says which is which.
type fleetScale struct {
	goroutines, heapKiB, rssKiB float64 // per server
	conns                       float64 // idle backends per server, mean
	statementsPerSec            float64 // all servers together, idle
	cpuShare                    float64 // of one CPU, idle, all servers
	cpuPerPollMs                float64 // operator CPU per server poll, idle
	idleReconciles              float64 // slot reconciles a second, idle
	rssAt, goroutinesAt, cpuAt  float64 // at thousand servers
	watches                     float64
}

func scaleOf(r fleetResult) fleetScale {
	i, n := r.Idle, float64(r.Opts.servers)
	var calls int64
	for _, c := range i.Calls {
		calls += c
	}
	s := fleetScale{
		goroutines:       float64(i.Figures.Goroutines-r.Empty.Goroutines) / n,
		heapKiB:          float64(i.Figures.GoHeap-r.Empty.GoHeap) / n,
		rssKiB:           float64(i.Figures.RSS-r.Empty.RSS) / n,
		conns:            i.Conns.mean() / n,
		statementsPerSec: float64(calls) / i.Window.Seconds(),
		cpuShare:         i.CPU.Seconds() / i.Window.Seconds(),
	}
	s.cpuPerPollMs = float64(i.CPU.Milliseconds()) / (n * i.polls())
	s.idleReconciles = i.Controllers["replicationslot"].Reconciles / i.Window.Seconds()
	s.rssAt = float64(r.Empty.RSS) + s.rssKiB*thousand
	s.goroutinesAt = float64(r.Empty.Goroutines) + s.goroutines*thousand
	// The whole idle CPU, not only what servers added (the operator alone
	// was not measured for CPU): an upper bound.
	s.cpuAt = s.cpuShare * thousand / n
	for _, w := range i.Watches {
		s.watches += w
	}
	return s
}

// writeFleetThousand is the closing paragraph: what 1,000 servers would
// take, and whether sharding operators is the answer.
func writeFleetThousand(b *strings.Builder, r fleetResult) {
	s, n := scaleOf(r), r.Opts.servers
	k := float64(thousand) / float64(n)
	b.WriteString("\n### What 1,000 servers would take\n\n")
	fmt.Fprintf(b, "Per server, from this run (the %s-server idle window against the operator without servers): %.1f goroutines, %.0f KiB of Go heap, %.2f MiB of RSS, %.2f PostgreSQL connections held idle, and %.1f ms of operator CPU per poll (all idle CPU ÷ polls, the periodic reconciles included). Extrapolated linearly to 1,000 servers: about %s goroutines, %s RSS (the target at 100 servers is 200 MiB), %s connections held open from one process (about %.0f to each server's PostgreSQL, as here), %.0f statements a second (%.0f here) and %.0f%% of one CPU while idle (%.1f%% here). These are upper bounds: servers sharing a primary each read all of its ~%d slots every poll instead of their own %d, and each server's reconcile reads the other servers' objects of its cluster. What does not grow with servers: the operator's %.0f watches (one per kind, cluster-wide), its 8 slot workers and its 0 idle writes.\n\n",
		count(n), s.goroutines, s.heapKiB, s.rssKiB/1024, s.conns, s.cpuPerPollMs, count(int(s.goroutinesAt)), mib(int64(s.rssAt)),
		count(int(s.conns*thousand)), s.conns, s.statementsPerSec*k, s.statementsPerSec, 100*s.cpuAt, 100*s.cpuShare,
		fleetPerInstance*fleetSlotsPerServer, fleetSlotsPerServer, s.watches)
	b.WriteString(shardingVerdict(s, r))
}

// shardingVerdict weighs the extrapolation against one pod's budget (1 GiB,
// half a CPU idle) and against what scoping the operator supports today:
// --watch-namespaces (main.go, namespaces.go), a fixed list of namespaces;
// no label selector, on purpose; --leader-election-id for shards sharing a
// namespace.
func shardingVerdict(s fleetScale, r fleetResult) string {
	var b strings.Builder
	b.WriteString(podVerdict(s.rssAt > 1<<20, s.cpuAt > 0.5))
	q := r.Setup.Controllers["replicationslot"].meanQueue()
	fmt.Fprintf(&b, "What would have to change first: the idle CPU, which is the polls (%d a second at 1,000 servers and the default 5 s) plus the periodic reconcile of every Ready slot every 30 s (controllers/slot/observe.go `requeueAfter`, reconciler.go `figureRefresh`: %.0f reconciles a second here, about %.0f at 1,000 servers of 10 slots, each reading only the monitor's snapshot) — a cheaper poll, a longer `pollInterval` for large fleets (failover detection comes from the monitor's sentinel connection, not the poll) and a refresh that only looks at slots whose figures moved; memory per server; and the 8 slot workers, which every server shares: while this run's %s slots were created, a new slot waited %s in the queue on average, and at 1,000 servers one team's large apply or failover would delay every other team's new slots (`--slot-workers` would have to grow with the fleet).\n\n",
		thousand/5, s.idleReconciles, s.idleReconciles*float64(thousand)/float64(r.Opts.servers), count(r.Setup.Slots), ms(q))
	fmt.Fprintf(&b, "Sharding by namespace is possible today, as a fixed list: `--watch-namespaces` (main.go, namespaces.go) makes the manager's cache open one informer per listed namespace and kind, so 1,000 namespaces split over 10 operators hold about 1,000 × %.0f watches instead of %.0f. kube-apiserver still delivers each event only to the watchers of its namespace; what grows is the number of open watches, its filtering of every event against them, and the initial lists. Each shard's memory, polling CPU, connections and slot workers are then a tenth. Shards that share a namespace name their leader-election Leases apart with `--leader-election-id`. What it lacks: the list is static (a new team's namespace means restarting a shard with a new flag). There is no label selector to shard by, on purpose: a label on an object is set by whoever may edit it, so a team could move its objects out of sight of the other teams' objects on its PostgreSQL cluster, and every PostgresServer of one cluster must stay in one shard (docs/operations.md, \"Many servers\"). So sharding is an answer at 1,000 — for capacity once the per-server figures above exceed a pod, and for isolation (a crash, an upgrade or a stuck failover touches one shard) in any case — but the cheaper first steps are less idle CPU per server and more slot workers.\n",
		s.watches, s.watches)
	return b.String()
}

// podVerdict says whether 1,000 servers fit one ordinary pod (1 GiB, half
// a CPU idle), naming what would leave it.
func podVerdict(overMemory, overCPU bool) string {
	var over string
	switch {
	case overMemory && overCPU:
		over = "memory and the idle CPU of polling leave one ordinary pod (> 1 GiB, > half a CPU)"
	case overMemory:
		over = "memory leaves one ordinary pod (> 1 GiB), though the idle CPU would stay within half a CPU"
	case overCPU:
		over = "the idle CPU of polling leaves one ordinary pod (> half a CPU), though memory would stay within 1 GiB"
	default:
		return "By these figures one operator would still hold 1,000 servers within one ordinary pod (≤ 1 GiB, ≤ half a CPU idle). "
	}
	return "By these figures one operator would not comfortably hold 1,000 servers: " + over + ", and both grow linearly with servers. "
}
