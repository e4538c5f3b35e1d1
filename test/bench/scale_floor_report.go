package main

import (
	"fmt"
	"strings"
	"time"
)

// The scale section's text about the API floors and the finalizer policy.

// writePolicy says whether the batches ran with the finalizer policy.
func writePolicy(b *strings.Builder, off bool) {
	if off {
		b.WriteString("**Not the default run:** without the finalizer policy of `config/admission` (`-scale-no-finalizer-policy`), as on Kubernetes before 1.36: the operator added each finalizer with an update of its own.\n\n")
		return
	}
	b.WriteString("The finalizer policy of `config/admission` (a MutatingAdmissionPolicy, Kubernetes 1.36+) is installed after the API floor and before the operator, as `config/default` and the Helm chart install it: each object gets its finalizer inside its create, and the operator makes no update of its own. The floor's objects are written without it, as an operator that adds its finalizer itself must.\n\n")
}

// writeFailoverPatches says what the failover's status patches alone
// took: a bound that holds even if the slots' Events were one.
func writeFailoverPatches(b *strings.Builder, r scaleResult) {
	if r.FailoverPatches <= 0 {
		return
	}
	fmt.Fprintf(b, "\nThe status patches alone, the same clients naming yet another host in each object's status and recording no Event, took **%s**: what a failover's status could not beat here even if one Event stood for all %s slots.\n",
		ms(r.FailoverPatches), count(r.Logical.N))
}

// writeHeldFloor compares the batches with the floor of three writes.
func writeHeldFloor(b *strings.Builder, r scaleResult) {
	if r.FloorHeld <= 0 {
		return
	}
	fmt.Fprintf(b, "\nWith the finalizer in the create, as the finalizer policy gives it, the fewest writes are three: the same clients made each object's create (finalizer included), status patch and Event in **%s**. Against that floor the batches took %s (logical) and %s (physical); the write a slot costs beyond these three is the creation intent (status.origin, written before the slot is made so that a slot made just before a stop is known as the object's own).\n",
		ms(r.FloorHeld), ratioTo(r.Logical.AllReady, r.FloorHeld), ratioTo(r.Physical.AllReady, r.FloorHeld))
}

func ratioTo(d, floor time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", float64(d)/float64(floor))
}

// writeFloorCost compares what a write cost kube-apiserver and etcd in the
// floor and in each batch: a batch above its floor by more than its count
// of writes says is paying for heavier writes or for reads and watches.
func writeFloorCost(b *strings.Builder, r scaleResult) {
	floorWrites := 4 * float64(r.Logical.N)
	if r.FloorCPU <= 0 {
		return
	}
	perWrite := func(cpu time.Duration, writes float64) string {
		return fmt.Sprintf("%.2f ms", cpu.Seconds()*1000/writes)
	}
	l, p := r.Logical, r.Physical
	fmt.Fprintf(b, "\nkube-apiserver and etcd used %.1f s of CPU for the floor's %s writes, %s a write; over the batches' spans, %s (logical) and %s (physical) a write of the table above, reads and watches included.\n",
		r.FloorCPU.Seconds(), count(int(floorWrites)), perWrite(r.FloorCPU, floorWrites),
		perWrite(controlPlaneCPU(l.Machine), total(l.Writes)), perWrite(controlPlaneCPU(p.Machine), total(p.Writes)))
}
