package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// probesPerPoll is the statements one poll should cost on this server: the
// slot query and the probe of its one member.
const probesPerPoll = 2

func scaleSection(r scaleResult) string {
	var b strings.Builder
	b.WriteString(scaleHeading + "\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (or `go run ./test/bench -only %s [-scale-window 2m]`, which refreshes this section alone) on %s. Machine: %s. PostgreSQL %s (internal/pgtest: one primary, no standby; `max_replication_slots = 2100`, `max_wal_senders` pgtest's default of 20, `shared_preload_libraries = pg_stat_statements`, fsync off). kube-apiserver v1.36 (envtest), its own for this scenario. The operator is the real binary (`$SLOTKEEPER_MANAGER_BIN`, default flags, so 8 slot workers, with its metrics endpoint on a local port as in a cluster and health probes off) running as a process, so its memory is its own; the other sections run the controllers in-process. **The 2 CPUs are shared** by PostgreSQL, kube-apiserver, etcd, the operator, this benchmark and, on this machine, other engineers' test runs at the same time: every figure is one noisy sample.\n\n",
		scaleName, r.Started.UTC().Format("2006-01-02 15:04 MST"), machine(), r.Version)
	writePolicy(&b, r.Opts.noPolicy)
	if r.Opts.pin {
		b.WriteString("**Not the default run:** kube-apiserver and etcd ran on CPU 0 alone, PostgreSQL, the operator and this benchmark on CPU 1 (`-scale-pin`), so the floor below is kube-apiserver on one CPU.\n\n")
	}
	if r.Opts.profileDir != "" || r.Opts.operatorEnv != "" {
		fmt.Fprintf(&b, "**Not the default run:** the operator ran with `--pprof-bind-address` %v (a forced collection after each window for its heap profile, `-scale-profile-dir`) and the extra environment `%s` (`-scale-operator-env`).\n\n",
			r.Opts.profileDir != "", r.Opts.operatorEnv)
	}
	writeBatches(&b, r)
	writeSteady(&b, r)
	writeStatements(&b, r)
	fmt.Fprintf(&b, "\nEvery write request kube-apiserver served in the %s settle period before each window and in the window (`apiserver_request_total`; the benchmark itself only reads meanwhile, and the leases are kube-apiserver's own identity heartbeat):\n\n", settle)
	writeWrites(&b, []string{"settle, " + count(r.Small.Slots) + " slots", "window, " + count(r.Small.Slots) + " slots", "settle, " + count(r.Large.Slots) + " slots", "window, " + count(r.Large.Slots) + " slots"},
		r.Small.Settle, r.Small.Writes, r.Large.Settle, r.Large.Writes)
	writeChanges(&b, r)
	writeConnections(&b, r)
	b.WriteString("\nNot measured by this scenario: a failover with 2,000 slots (the failover section goes to 1,000), a server with standbys (each member adds a probe per poll; the fleet section has one), and API writes and statements while slots move (consumers, WAL growth: here the server is idle apart from the slot creations); many PostgresServers on one operator are the fleet section.\n")
	return b.String()
}

func writeBatches(b *strings.Builder, r scaleResult) {
	fmt.Fprintf(b, "### %s slots applied at once → all Ready\n\n", count(r.Opts.slots))
	fmt.Fprintf(b, "ReplicationSlot objects created by %d goroutines in one namespace for one PostgresServer; timed from the first create to %s. The logical batch first, then the physical one, on a server without other slots. PostgreSQL's own time is measured in the same run, before the operator's batches, as superuser in one statement: `SELECT count(pg_create_logical_replication_slot('raw_'||i, 'pgoutput')) FROM generate_series(1,%d) i` in a fresh database (physical: `pg_create_physical_replication_slot('raw_'||i, true)`, reserving WAL as the operator's default `reserveWAL: true` does); the slots are dropped again. Operator CPU: user + system time of its process (`/proc/<pid>/stat`) over the same span. The last column is one List of the whole batch once it was Ready (median of three), which is what observing by List costs.\n\n", applyWorkers, observation(r.Opts.observe), r.Opts.slots)
	b.WriteString("| slots | all creates returned | all Ready | PostgreSQL's own serial creation | ratio | target | result | ÷ API floor (below; target ≤ 1.1×) | operator CPU | API writes | one List of the batch |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range []batchResult{r.Logical, r.Physical} {
		ready, ratio := ms(x.AllReady), fmt.Sprintf("%.0f×", float64(x.AllReady)/float64(x.Postgres))
		if x.AllReady == 0 {
			ready, ratio = fmt.Sprintf("**%d of %d Ready after %s**", x.Ready, x.N, readyLimit), "—"
		}
		target, ok := "≤ 5 s", x.AllReady > 0 && x.AllReady <= 5*time.Second
		if x.Kind == "logical" {
			target, ok = "≤ 10 s and ≤ 3× PostgreSQL's", x.AllReady > 0 && x.AllReady <= 10*time.Second && x.AllReady <= 3*x.Postgres
		}
		fmt.Fprintf(b, "| %s %s | %s | %s | %s | %s | %s | %s | %s | %.1f s (%.0f%% of one CPU) | %.0f (%.1f per slot) | %s |\n",
			count(x.N), x.Kind, ms(x.Created), ready, ms(x.Postgres), ratio, target, verdict(ok), floorRatio(x.AllReady, r.APIFloor),
			x.CPU.Seconds(), 100*x.CPU.Seconds()/span(x).Seconds(), total(x.Writes), total(x.Writes)/float64(x.N), ms(x.List))
	}
	fmt.Fprintf(b, "\nThe operator's PostgreSQL connections while the batches were applied: at most %d. Write requests kube-apiserver served from each batch's first create to all Ready (the benchmark's own creates are the POSTs of replicationslots):\n\n", r.ApplyConns)
	writeWrites(b, []string{r.Logical.Kind, r.Physical.Kind}, r.Logical.Writes, r.Physical.Writes)
	writeBatchBounds(b, r)
}

// writeBatchBounds says what bounds the batches, from the figures above:
// who used the CPUs, the API floor, and the operator's reconciles.
func writeBatchBounds(b *strings.Builder, r scaleResult) {
	l, p := r.Logical, r.Physical
	b.WriteString("\nWho used the 2 CPUs over each batch's span (first create to all Ready), from `/proc/<pid>/stat` of each process (PostgreSQL: all its processes, backends that ended included) and `/proc/stat` for the machine; and the operator's reconciles of ReplicationSlots over the same span, from its own controller-runtime metrics (`controller_runtime_reconcile_total`, `workqueue_work_duration_seconds`, `workqueue_queue_duration_seconds`):\n\n")
	b.WriteString("| slots | span | machine busy | kube-apiserver | etcd | PostgreSQL | operator | slot reconciles | per slot | mean reconcile | mean queue wait |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range []batchResult{l, p} {
		m, c := x.Machine, x.Controllers["replicationslot"]
		fmt.Fprintf(b, "| %s %s | %.1f s | %s | %.1f s | %.1f s | %.1f s | %.1f s | %.0f | %.1f | %s | %s |\n",
			count(x.N), x.Kind, span(x).Seconds(), cpuShare2(m.machine, span(x)), m.groups["kube-apiserver"].Seconds(),
			m.groups["etcd"].Seconds(), m.groups["postgres"].Seconds(), x.CPU.Seconds(), c.Reconciles, c.Reconciles/float64(x.N),
			ms(c.meanWork()), ms(c.meanQueue()))
	}
	fmt.Fprintf(b, "\nThe API floor, measured in the same run before the operator started: kube-apiserver, with nothing else running but etcd, served %s objects' create, metadata update, status patch and Event (%d clients, each object's four writes in sequence; the fewest writes a new slot costs, the benchmark's create included) in **%s**. That is the least any operator on this apiserver and machine could take for a batch, before PostgreSQL, the operator's own CPU and its reads; it is %s the physical target of 5 s.\n",
		count(l.N), applyWorkers, ms(r.APIFloor), floorVersus(r.APIFloor, 5*time.Second))
	fmt.Fprintf(b, "\nThe same clients then made the writes a failover costs each of those objects at the least, a status patch naming the new host and one Event, in **%s**: the least a failover of %s slots can take on this apiserver and machine before its status says so, whatever PostgreSQL needs (see Failover recovery).\n",
		ms(r.FailoverFloor), count(l.N))
	writeFailoverPatches(b, r)
	writeHeldFloor(b, r)
	writeFloorCost(b, r)
	lc, pc := l.Controllers["replicationslot"], p.Controllers["replicationslot"]
	fmt.Fprintf(b, "\nWhat bounds it: not PostgreSQL, which creates the same slots in %s (logical) and %s (physical), but the machine: over the two spans its 2 CPUs were busy %s and %s of the time, the largest user %s and %s. The operator's 8 workers reconciled each slot %.1f and %.1f times, %s and %s per reconcile, most of it waiting for kube-apiserver's writes on the saturated CPUs.\n",
		ms(l.Postgres), ms(p.Postgres), pct(l.Machine.machine, span(l)), pct(p.Machine.machine, span(p)),
		largestUser(l), largestUser(p), lc.Reconciles/float64(l.N), pc.Reconciles/float64(p.N), ms(lc.meanWork()), ms(pc.meanWork()))
}

// largestUser names the process group that used the most CPU in a batch.
func largestUser(x batchResult) string {
	name, most := "the operator", x.CPU
	for _, g := range cpuGroups {
		if v := x.Machine.groups[g]; v > most {
			name, most = g, v
		}
	}
	return fmt.Sprintf("%s (%.1f s)", name, most.Seconds())
}

// cpuShare2 is CPU time over a span on the 2-CPU machine, as a share of all
// its capacity.
func cpuShare2(cpu, span time.Duration) string {
	return fmt.Sprintf("%.1f s (%s)", cpu.Seconds(), pct(cpu, span))
}

func pct(cpu, span time.Duration) string {
	if span <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*cpu.Seconds()/(2*span.Seconds()))
}

// floorRatio is a batch's time to all Ready over the API floor, with the
// verdict against the target of 1.1×.
func floorRatio(ready, floor time.Duration) string {
	if ready <= 0 || floor <= 0 {
		return "—"
	}
	r := float64(ready) / float64(floor)
	return fmt.Sprintf("%.2f× (%s)", r, verdict(r <= 1.1))
}

func floorVersus(floor, target time.Duration) string {
	switch {
	case floor <= 0:
		return "not measured, so not compared with"
	case floor > target:
		return "above"
	case floor > target/2:
		return "more than half of"
	default:
		return "well within"
	}
}

// span is how long a batch was followed: until all Ready, or readyLimit.
func span(x batchResult) time.Duration {
	if x.AllReady == 0 {
		return readyLimit
	}
	return x.AllReady
}

func writeSteady(b *strings.Builder, r scaleResult) {
	s, l := r.Small, r.Large
	fmt.Fprintf(b, "\n### Steady state: idle slots for %s\n\n", s.Window)
	fmt.Fprintf(b, "Each window (`-scale-window`, default 2m) starts %s after its slots are all Ready (%d: 5 logical and 5 physical; then the 10 are deleted and the batches above applied, %s in all): longer than the operator's 30 s refresh of changed figures plus two polls, so that what changed while the slots were created (each logical creation writes WAL, which moves the retained WAL of every slot) has been written; the writes of that settle period are shown apart below. Statements: `pg_stat_statements` (preloaded), reset at the window's start and read at its end, counting every statement run by the operator's role (`userid`), in every database; per poll = calls / (window / `spec.pollInterval` = %s / %s = %.0f polls). API writes: kube-apiserver's own `apiserver_request_total` from its `/metrics` (read as the admin through the envtest config) at the start and end of the window, verbs POST, PUT, PATCH, DELETE, APPLY, per minute of the window. Connections: `pg_stat_activity` rows of the operator's role, walsenders included, sampled every second (max). Memory: `VmRSS` of the operator's process from `/proc/<pid>/status` every second (median and max over the window), and its Go heap in use (`go_memstats_heap_inuse_bytes` from its metrics endpoint) at the end; the peak is its `VmHWM` at the end of the whole scenario, the batches included. WAL written in the window says whether anything changed on the server.\n\n",
		settle, s.Slots, count(l.Slots), s.Window, s.Poll, s.polls())
	fmt.Fprintf(b, "| figure | %d slots | %s slots | target | result |\n|---|---|---|---|---|\n", s.Slots, count(l.Slots))
	stmOK := s.calls() <= int64(probesPerPoll*(s.polls()+1)) && l.calls() <= int64(probesPerPoll*(l.polls()+1))
	fmt.Fprintf(b, "| SQL statements by the operator's role per poll | %s | %s | 1 slot query + 1 member probe (one member here) = %d, independent of slot count | %s |\n",
		perPoll(s), perPoll(l), probesPerPoll, verdict(stmOK))
	fmt.Fprintf(b, "| API writes per minute to slotkeeper's resources and events | %s | %s | 0 when nothing changed; when WAL moved (retained WAL changes), at most 1 per slot per 30 s | %s |\n",
		perMinute(s), perMinute(l), verdict(writesOK(s) && writesOK(l)))
	fmt.Fprintf(b, "| PostgreSQL connections of the operator's role: max (at the window's end) | %d (%d) | %d (%d) | ≤ 3 per server | %s |\n",
		s.MaxConns, s.EndConns, l.MaxConns, l.EndConns, verdict(max(s.MaxConns, l.MaxConns) <= 3))
	fmt.Fprintf(b, "| operator RSS, median / max in the window | %s / %s | %s / %s | ≤ 100 MiB | %s |\n",
		mib(medianKiB(s.RSS)), mib(maxKiB(s.RSS)), mib(medianKiB(l.RSS)), mib(maxKiB(l.RSS)), verdict(max(maxKiB(s.RSS), maxKiB(l.RSS)) <= 100<<10))
	fmt.Fprintf(b, "| operator Go heap in use at the end (live objects and garbage not yet collected) | %s | %s | — | — |\n", mib(s.GoHeap), mib(l.GoHeap))
	fmt.Fprintf(b, "| operator CPU in the window | %s | %s | — | — |\n", cpuShare(s.CPU, s.Window), cpuShare(l.CPU, l.Window))
	fmt.Fprintf(b, "| WAL PostgreSQL wrote in the settle period / in the window | %d / %d bytes | %d / %d bytes | — | — |\n", s.SettleWAL, s.WALBytes, l.SettleWAL, l.WALBytes)
	fmt.Fprintf(b, "\nOperator peak RSS over the whole scenario (`VmHWM`, the batches included): %s (target ≤ 100 MiB: %s). Go heap in use per slot beyond the 10-slot window: %.1f KiB; one ReplicationSlot as the API returns it is about %.1f KiB of JSON (logical), %.1f KiB (physical), managedFields included.\n",
		mib(r.PeakRSS), verdict(r.PeakRSS <= 100<<10), float64(l.GoHeap-s.GoHeap)/float64(max(l.Slots-s.Slots, 1)), float64(r.Logical.ObjBytes)/1024, float64(r.Physical.ObjBytes)/1024)
}

func observation(mode string) string {
	if mode == observeList {
		return "the first List (every 100 ms; `-scale-observe=list`) that shows every one Ready=True"
	}
	return "the moment a watch on the batch (started before the first create) has delivered Ready=True for every one; a List every 100 ms (`-scale-observe=list`) would itself load the 2 CPUs, see the last column"
}

func cpuShare(cpu, window time.Duration) string {
	return fmt.Sprintf("%.1f s (%.1f%% of one CPU)", cpu.Seconds(), 100*cpu.Seconds()/window.Seconds())
}

func total(ws []apiWrite) (n float64) {
	for _, w := range ws {
		n += w.Count
	}
	return n
}

func maxKiB(xs []int64) int64 { return slices.Max(append([]int64{0}, xs...)) }

func perPoll(s steadyResult) string {
	return fmt.Sprintf("%.2f (%d calls / %.0f polls)", float64(s.calls())/s.polls(), s.calls(), s.polls())
}

// writesOK: no write in a window where nothing changed; where PostgreSQL
// wrote WAL (in the window, or in the settle period, whose changes the
// operator writes up to 30 s later), every slot's retained WAL moved, and
// the operator's design allows one refresh per slot per 30 s.
func writesOK(s steadyResult) bool {
	n := total(operatorWrites(s.Writes))
	if !s.walMoved() {
		return n == 0
	}
	return n <= float64(s.Slots)*(s.Window.Seconds()/30+1)
}

// operatorWrites keeps the writes only the operator makes while a window
// runs: to its resources, and Events. (The leases are kube-apiserver's own
// identity heartbeat; the operator runs without leader election.)
func operatorWrites(ws []apiWrite) []apiWrite {
	var out []apiWrite
	for _, w := range ws {
		if w.Group == api.GroupVersion.Group || w.Resource == "events" {
			out = append(out, w)
		}
	}
	return out
}

func perMinute(s steadyResult) string {
	n := total(operatorWrites(s.Writes))
	return fmt.Sprintf("%.1f (%.0f in the window)", n/s.Window.Minutes(), n)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**miss**"
}

func count(n int) string {
	if n >= 1000 {
		return fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return fmt.Sprint(n)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func medianKiB(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
