package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// fleetFailover is server 0's failover while the rest of the fleet polls.
type fleetFailover struct {
	Slots    int           // the pair server's slots
	Detected time.Duration // promote requested -> the server's status names the standby
	Recovery time.Duration // promote requested -> all its slots Ready on the standby (0: not within the limit)
	NotReady int           // slots of the whole fleet not Ready right after
}

// failover crashes the pair's primary (an immediate stop, as the failover
// section does), promotes the standby and times, from the promote request,
// until every slot of server 0 is Ready on it. Timed like the failover
// section (test/bench/failover_run.go recoverOn), so the figures compare;
// it polls one namespace's slots, 10 or so objects, every 20 ms.
func (r *fleetRig) failover(ctx context.Context) (fleetFailover, error) {
	ns := r.servers[0].ns
	var list api.ReplicationSlotList
	if err := r.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return fleetFailover{}, err
	}
	res := fleetFailover{Slots: len(list.Items)}
	fmt.Printf("fleet: failover of %s with %d slots\n", ns, res.Slots)
	r.setPhase("failover")
	if err := r.pair.Crash(); err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := r.standby.Promote(ctx); err != nil {
		return res, err
	}
	r.awaitRecovery(ctx, ns, r.standby.Addr(), t0, &res)
	all := len(r.servers)*fleetSlotsPerServer + fleetApplies + fleetControlApplies
	res.NotReady = all - r.countSlotsReady(ctx, "")
	fmt.Printf("fleet: failover: detected %s, recovered %s\n", ms(res.Detected), ms(res.Recovery))
	return res, ctx.Err()
}

// awaitRecovery polls until every slot of ns is Ready on host, and until
// the server's status names host; the slots can be Ready before the
// server's status says so, and then detection is waited for apart.
func (r *fleetRig) awaitRecovery(ctx context.Context, ns, host string, t0 time.Time, res *fleetFailover) {
	limit := failoverLimit(res.Slots)
	for time.Since(t0) < limit && ctx.Err() == nil && (res.Recovery == 0 || res.Detected == 0) {
		if res.Detected == 0 && r.primaryIs(ctx, ns, host) {
			res.Detected = time.Since(t0)
		}
		if res.Recovery == 0 && r.readyOnHost(ctx, ns, host) >= res.Slots {
			res.Recovery = time.Since(t0)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *fleetRig) primaryIs(ctx context.Context, ns, host string) bool {
	var ps api.PostgresServer
	return r.c.Get(ctx, keyDB(ns), &ps) == nil && ps.Status.Primary == host
}

// readyOnHost counts the namespace's slots Ready on host.
func (r *fleetRig) readyOnHost(ctx context.Context, ns, host string) (n int) {
	var list api.ReplicationSlotList
	if err := r.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0
	}
	for i := range list.Items {
		st := &list.Items[i].Status
		if st.Host == host && meta.IsStatusConditionTrue(st.Conditions, api.ConditionReady) {
			n++
		}
	}
	return n
}
