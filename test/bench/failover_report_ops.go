package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// slotWorkers is controllers.Options' default SlotWorkers, which the
// harness uses.
const slotWorkers = 8

// writeFailoverOps breaks the large scenario's recoveries down with the
// operator's own metrics over the same span.
func writeFailoverOps(b *strings.Builder, runs []failoverResult) {
	fmt.Fprintf(b, "\n### Where the %s-slot recovery's time goes\n\n", thousands(runs[0].Slots))
	b.WriteString("The operator's own metrics from the promote request to all Ready, read from this process's controller-runtime registry: `controller_runtime_reconcile_total` (by result), `workqueue_work_duration_seconds` and `workqueue_queue_duration_seconds` of the slot controller, and client-go's `rest_client_requests_total`, `rest_client_request_duration_seconds` and `rest_client_rate_limiter_duration_seconds` (every request of the controllers and of the benchmark's own client, which only reads from its cache in that span), and the monitor's `slotkeeper_server_probe_duration_seconds` (one probe: a member's identity and slot query). Worker occupancy: reconciles × mean reconcile time ÷ (8 workers × recovery). CPU over the same span from `/proc`: the machine's busy time (all CPUs, whoever used them) and this process's (the controllers and the benchmark); per-process figures for kube-apiserver, etcd and PostgreSQL are left out, since other engineers' processes of the same names come and go on this machine.\n\n")
	b.WriteString("| run | recovery | every slot on PostgreSQL | PostgreSQL: logical + physical | slot reconciles (per slot) | by result | mean reconcile | mean queue wait | worker occupancy | server reconciles | member probes (mean) | API requests | mean API request | client-side throttling | CPU: machine busy | this process | delete → all finalized, after the run |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, r := range runs {
		o := r.Ops
		fmt.Fprintf(b, "| %d | %s | %s | %s + %s | %.0f (%.1f) | %s | %s | %s | %.0f%% | %.0f | %.0f (%s) | %s | %s | %s | %s | %s | %s |\n", i+1, ms(r.Recovery),
			ms(r.OnPostgres), ms(r.PGLogical), ms(r.PGPhysical), o.Slot.Reconciles, o.Slot.Reconciles/float64(r.Slots), counts(o.Results),
			ms(o.Slot.meanWork()), ms(o.Slot.meanQueue()), 100*occupancy(r), o.Server.Reconciles, o.Probes, ms(perCall(o.ProbeSum, o.Probes)), counts(o.Requests),
			ms(perCall(o.ReqSum, o.ReqCount)), ms(seconds(o.ThrottleSum)), busy(r), secs(r.SelfCPU), ms(r.Dropped))
	}
	m := median(runs)
	fmt.Fprintf(b, "\nIn the median run PostgreSQL needed %s for all %d slots, %.1f ms a slot; the operator's %d workers were busy %.0f%% of the recovery, %.1f reconciles a slot of %s each on average, and a slot waited %s in the queue on average before each reconcile.\n",
		ms(m.PG()), m.Slots, float64(m.PG())/float64(time.Millisecond)/float64(m.Slots), slotWorkers, 100*occupancy(m),
		m.Ops.Slot.Reconciles/float64(m.Slots), ms(m.Ops.Slot.meanWork()), ms(m.Ops.Slot.meanQueue()))
}

// occupancy is the share of the recovery the slot workers spent in
// reconciles, all workers together.
func occupancy(r failoverResult) float64 {
	if r.Recovery <= 0 {
		return 0
	}
	return r.Ops.Slot.WorkSum / (slotWorkers * r.Recovery.Seconds())
}

// busy is the machine's busy CPU time over the recovery and its share of
// all CPUs.
func busy(r failoverResult) string {
	share := float64(r.CPU.machine) / (float64(runtime.NumCPU()) * float64(r.Recovery))
	return fmt.Sprintf("%s (%.0f%%)", secs(r.CPU.machine), 100*share)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
