package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

func fleetSection(r fleetResult) string {
	var b strings.Builder
	b.WriteString(fleetHeading + "\n\n")
	writeFleetSetup(&b, r)
	writeFleetTable(&b, r)
	writeFleetStatements(&b, r)
	writeFleetWrites(&b, r)
	writeFleetWatches(&b, r)
	writeFleetThousand(&b, r)
	return b.String()
}

// writeFleetSetup says how the fleet was laid out and measured.
func writeFleetSetup(b *strings.Builder, r fleetResult) {
	n := r.Opts.servers
	fmt.Fprintf(b, "Written by `go run ./test/bench -only %s [-fleet-servers %d] [-fleet-window %s]` (not part of the default `make bench`; it refreshes this section alone) on %s. Machine: %s; load average at the start %s. PostgreSQL %s (internal/pgtest, fsync off, `max_replication_slots = 300`, `shared_preload_libraries = pg_stat_statements`). kube-apiserver v1.36 (envtest), its own for this scenario. The operator is the real binary with default flags (8 slot workers, no namespace scoping, its metrics endpoint on a local port) running as a process, as in the scale section. **The 2 CPUs are shared** by %d PostgreSQL instances, kube-apiserver, etcd, the operator, this benchmark and, on this machine, other engineers' test runs at the same time: every figure is one noisy sample.\n\n",
		fleetName, n, r.Opts.window, r.Started.UTC().Format("2006-01-02 15:04 MST"), machine(), r.Load, r.Version, r.Instances+2)
	fmt.Fprintf(b, "**The fleet:** %s PostgresServers, each in a namespace of its own with its own Secret and its own PostgreSQL role (`sk_NNN`, so that `pg_stat_activity` and `pg_stat_statements` tell the servers apart), %d ReplicationSlots each (5 logical in database orders, 5 physical): %s slots. **Fewer PostgreSQL instances than servers:** a hundred PostgreSQL instances do not fit on this machine beside the rest, so servers 1–%d share %d primaries, %d servers per primary; each server still has its own monitor, probes and connection pools, exactly as if it were alone. Each primary runs its own initdb, so it is a cluster of its own (its own system identifier) shared by %d PostgresServers, as when several teams reach one cluster: each server's reconcile also reads the other %d servers' objects, so that their %d slots count as managed, not as unmanaged. Server 0 is a primary with a streaming standby of its own (two members), for the failover. Every primary also holds an inactive physical slot that no ReplicationSlot manages (`%s`, as an HA manager keeps one per replica), so every server's status lists an unmanaged slot and the WAL it retains.\n\n",
		count(n), fleetSlotsPerServer, count(r.Setup.Slots), n-1, r.Instances, fleetPerInstance, fleetPerInstance, fleetPerInstance-1, (fleetPerInstance-1)*fleetSlotsPerServer, fleetReplicaSlot)
	fmt.Fprintf(b, "Phases, in order: the operator alone (no servers) for 5 s; a control: server 1 declared alone and %d logical slots created on it one after another, each timed as below (they stay, so server 1 has %d slots); every other server declared, then every slot created at once by %d goroutines (like a GitOps tool syncing the fleet); a %s settle period, then the idle window (`-fleet-window`), which begins with a CHECKPOINT on every primary (as an idle server's `checkpoint_timeout` does: its WAL moves every slot's retention and a standby's lag by a little); %d new logical slots one after another into servers picked at random, each timed from Create until a watch started before it delivers Ready=True; last, server 0's primary stopped (`immediate`) and its standby promoted while the other servers poll. Connections: `pg_stat_activity` on every instance once a second, per role, walsenders included. Statements: `pg_stat_statements` of every instance, reset at the window's start and read at its end. API writes: kube-apiserver's `apiserver_request_total`. Memory: `VmRSS` of the operator every second (median and max), `VmHWM` at the end; goroutines and Go heap from its metrics endpoint (`go_goroutines`, `go_memstats_heap_inuse_bytes`).\n\n",
		fleetControlApplies, fleetSlotsPerServer+fleetControlApplies, applyWorkers, settle, fleetApplies)
}

// writeFleetTable is the section's main table, targets last.
func writeFleetTable(b *strings.Builder, r fleetResult) {
	i, n := r.Idle, r.Opts.servers
	b.WriteString("| figure | value | target | result |\n|---|---|---|---|\n")
	fmt.Fprintf(b, "| operator RSS in the idle window, median / max (no servers: %s) | %s / %s | ≤ 200 MiB | %s |\n",
		mib(r.Empty.RSS), mib(i.Figures.RSS), mib(i.RSSMax), verdict(i.RSSMax > 0 && i.RSSMax <= fleetRSSTarget))
	fmt.Fprintf(b, "| operator peak RSS over the whole scenario (`VmHWM`, setup and failover included) | %s | ≤ 200 MiB | %s |\n",
		mib(r.PeakRSS), verdict(r.PeakRSS > 0 && r.PeakRSS <= fleetRSSTarget))
	fmt.Fprintf(b, "| operator goroutines: no servers → %s servers (per server) | %d → %d (%.1f) | — | — |\n",
		count(n), r.Empty.Goroutines, i.Figures.Goroutines, perServer(float64(i.Figures.Goroutines-r.Empty.Goroutines), n))
	fmt.Fprintf(b, "| operator Go heap in use: no servers → %s servers (per server) | %s → %s (%.0f KiB) | — | — |\n",
		count(n), mib(r.Empty.GoHeap), mib(i.Figures.GoHeap), perServer(float64(i.Figures.GoHeap-r.Empty.GoHeap), n))
	one := i.Conns.maxServer(pairRole)
	fmt.Fprintf(b, "| PostgreSQL connections per server, idle: the most any one-member server held / mean of all servers (all backends ÷ %d) | %d / %.2f | ≤ %d | %s |\n",
		n, one, i.Conns.mean()/float64(n), fleetConnsPerSrv, verdict(i.Conns.samples > 0 && one <= fleetConnsPerSrv))
	pc, pp, ps := i.Conns.maxPerRole[pairRole], i.Conns.maxAt[fmt.Sprintf("%s@%d", pairRole, r.Instances)], i.Conns.maxAt[fmt.Sprintf("%s@%d", pairRole, r.Instances+1)]
	fmt.Fprintf(b, "| PostgreSQL connections of server 0 (primary + standby), idle: the most it held (on its primary + on its standby) | %d (%d + %d) | ≤ %d | %s |\n",
		pc, pp, ps, fleetConnsPerSrv, verdict(pc > 0 && pc <= fleetConnsPerSrv))
	fmt.Fprintf(b, "| PostgreSQL connections of all servers together: idle max / while the slots were created max | %d / %d | — | — |\n",
		i.Conns.maxTotal, r.Setup.MaxConns)
	med, worst, pair, ok := statementsPerPoll(r)
	fmt.Fprintf(b, "| SQL statements per poll per server, idle (calls ÷ %s / %s = %.0f polls): one-member servers median / max; server 0 (two members) | %.2f / %.2f; %.2f | 1 probe + 1 slot query per member (2; 4 for server 0), independent of the fleet | %s |\n",
		i.Window, i.Poll, i.polls(), med, worst, pair, verdict(ok))
	w := total(operatorWrites(i.Writes))
	fmt.Fprintf(b, "| API writes to slotkeeper's resources and Events in the idle window (all servers) | %.0f | 0 | %s |\n", w, verdict(w == 0))
	a, c := r.Apply, r.Control
	fmt.Fprintf(b, "| control, same run: apply → Ready with server 1 alone declared, before the fleet (%d, one after another): p50 / p99 / max | %s / %s / %s%s | p99 ≤ 300 ms | %s |\n",
		c.N, ms(c.P50), ms(c.P99), ms(c.Max), notReady(c.NotReady), verdict(c.NotReady == 0 && c.P99 <= fleetApplyP99))
	fmt.Fprintf(b, "| apply → Ready of a new logical slot while the fleet runs (%d, one after another, random servers): p50 / p99 / max | %s / %s / %s%s | p99 ≤ 300 ms | %s |\n",
		a.N, ms(a.P50), ms(a.P99), ms(a.Max), notReady(a.NotReady), verdict(a.NotReady == 0 && a.P99 <= fleetApplyP99))
	for _, x := range []struct {
		name string
		a    fleetApply
	}{{"control", c}, {"fleet", a}} {
		rs := x.a.Controllers["replicationslot"]
		fmt.Fprintf(b, "| %s: the operator's slot reconciles over those creations (per slot), mean reconcile / mean queue wait; the machine's CPUs busy meanwhile | %.0f (%.1f), %s / %s; %.0f%% | — | — |\n",
			x.name, rs.Reconciles, rs.Reconciles/float64(max(x.a.N, 1)), ms(rs.meanWork()), ms(rs.meanQueue()), 100*x.a.Busy)
	}
	writeFleetContext(b, r)
}

// writeFleetContext adds the rows without a target: setup, failover, CPU.
func writeFleetContext(b *strings.Builder, r fleetResult) {
	i, f := r.Idle, r.Failover
	rec := ms(f.Recovery)
	if f.Recovery == 0 {
		rec = fmt.Sprintf("**not within %s**", failoverLimit(f.Slots))
	}
	det := ms(f.Detected)
	if f.Detected == 0 {
		det = "not seen"
	}
	fmt.Fprintf(b, "| failover of server 0 while the others poll: promote requested → all its %d slots Ready on the promoted standby (→ its status names the new primary); fleet slots not Ready right after | %s (%s); %d | — (compare the failover section's 1 and 100 slots) | — |\n",
		f.Slots, rec, det, f.NotReady)
	su := r.Setup
	rs := su.Controllers["replicationslot"]
	fmt.Fprintf(b, "| setup: every server Ready after declaring them; all %s slots Ready after the first create (API writes per slot) | %s; %s (%.1f) | — | — |\n",
		count(su.Slots), ms(su.ServersReady), ms(su.SlotsReady), total(su.Writes)/float64(max(su.Slots, 1)))
	fmt.Fprintf(b, "| setup: slot reconciles (per slot), mean reconcile / mean queue wait; operator CPU; the machine's CPUs busy; most creations waiting for a lock in PostgreSQL at once | %.0f (%.1f), %s / %s; %s; %.0f%%; %d | — | — |\n",
		rs.Reconciles, rs.Reconciles/float64(max(su.Slots, 1)), ms(rs.meanWork()), ms(rs.meanQueue()), cpuShare(su.CPU, su.SlotsReady), 100*su.Busy, su.LockWaits)
	polls := float64(r.Opts.servers) * i.polls()
	fmt.Fprintf(b, "| operator CPU in the idle window; per server poll | %s; %.1f ms | — | — |\n", cpuShare(i.CPU, i.Window), float64(i.CPU.Milliseconds())/polls)
	rs = i.Controllers["replicationslot"]
	fmt.Fprintf(b, "| slot reconciles in the idle window (per slot per 30 s), mean reconcile: every Ready slot is requeued every 30 s (`figureRefresh`) | %.0f (%.2f), %s | — | — |\n",
		rs.Reconciles, rs.Reconciles/float64(max(su.Slots, 1))/(i.Window.Seconds()/30), fmt.Sprintf("%.2f ms", rs.meanWork().Seconds()*1000))
	fmt.Fprintf(b, "| WAL all primaries wrote in the settle period / in the window | %d / %d bytes | — | — |\n", i.SettleWAL, i.WALBytes)
}

func perServer(x float64, n int) float64 { return x / float64(max(n, 1)) }

func notReady(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (**%d not Ready within %s**)", n, readyLimit)
}

// statementsPerPoll: the median and the most calls per poll of the
// one-member servers, server 0's, and whether every server stayed within a
// probe and a slot query per member (docs/user-guide.md: the monitor
// probes every member and lists each member's slots in one query), with a
// poll more for the window's edges.
func statementsPerPoll(r fleetResult) (med, worst, pair float64, ok bool) {
	i := r.Idle
	polls := i.polls()
	var per []float64
	ok = len(i.Calls) > 0
	for role, calls := range i.Calls {
		want := 2.0 // a probe and the slot query per member
		if role == pairRole {
			want, pair = 4, float64(calls)/polls
		} else {
			per = append(per, float64(calls)/polls)
		}
		ok = ok && float64(calls) <= want*(polls+1)
	}
	if len(per) == 0 {
		return 0, 0, pair, false
	}
	slices.Sort(per)
	return per[len(per)/2], per[len(per)-1], pair, ok && len(i.Calls) == r.Opts.servers
}

// writeFleetStatements lists the statements of the window over all servers.
func writeFleetStatements(b *strings.Builder, r fleetResult) {
	i := r.Idle
	fmt.Fprintf(b, "\nThe servers' statements in the idle window, over all instances (pg_stat_statements; per server and poll = calls ÷ servers that ran it ÷ %.0f polls):\n\n| calls | servers | per server and poll | statement |\n|---|---|---|---|\n", i.polls())
	for _, st := range i.Statements {
		fmt.Fprintf(b, "| %d | %d | %.2f | `%s` |\n", st.Calls, st.Servers, float64(st.Calls)/float64(max(st.Servers, 1))/i.polls(),
			strings.ReplaceAll(shorten(st.Query, 140), "|", "\\|"))
	}
	if len(i.Statements) == 0 {
		b.WriteString("| 0 | 0 | — | — |\n")
	}
}

// writeFleetWrites tables every write request kube-apiserver served while
// the slots were created, in the settle period and in the window.
func writeFleetWrites(b *strings.Builder, r fleetResult) {
	b.WriteString("\nEvery write request kube-apiserver served: from the first slot create to all Ready (the benchmark's creates are the POSTs of replicationslots), in the settle period, and in the idle window (the leases are kube-apiserver's own heartbeat; the operator runs without leader election):\n\n")
	writeWrites(b, []string{"slots created", "settle " + settle.String(), "window " + r.Idle.Window.String()},
		r.Setup.Writes, r.Idle.Settle, r.Idle.Writes)
}

// writeFleetWatches lists the operator's watches at the window's end.
func writeFleetWatches(b *strings.Builder, r fleetResult) {
	w := r.Idle.Watches
	keys := slices.Sorted(maps.Keys(w))
	var parts []string
	n := 0.0
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, w[k]))
		n += w[k]
	}
	fmt.Fprintf(b, "\nWATCH requests kube-apiserver was serving at the end of the idle window (`apiserver_longrunning_requests`; the benchmark held none, envtest runs no controller-manager): %.0f — %s. They do not grow with the number of servers: the operator watches each kind cluster-wide.\n", n, strings.Join(parts, ", "))
}
