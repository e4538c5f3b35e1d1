package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// startFailoverPair starts the primary and its streaming standby of one
// failover run. The promoted standby must hold the operator's slots and,
// for PostgreSQL's own figure, as many again (rawOnPromoted): the large
// scenario needs more than the 300 slots startPair allows, which are kept
// for the others so their rows stay comparable with earlier runs.
func startFailoverPair(ctx context.Context, major int, sc failoverScenario) (*pgtest.Server, *pgtest.Server, error) {
	name := fmt.Sprintf("fo%d_%d", sc.slots, sc.poll/time.Second)
	slots := max(300, 2*sc.slots+100)
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: name,
		Settings: map[string]string{"max_replication_slots": strconv.Itoa(slots), "max_wal_senders": "20"}})
	if err != nil {
		return nil, nil, err
	}
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return p, nil, err
	}
	if err := p.CreateDatabase(ctx, "orders"); err != nil {
		return p, nil, err
	}
	s, err := p.AddStandby(ctx, name+"_standby", nil)
	return p, s, err
}

// failoverLimit bounds each wait for all Ready: generous, a miss shows in
// the figures rather than as a broken run.
func failoverLimit(slots int) time.Duration {
	return 2*time.Minute + time.Duration(slots)*200*time.Millisecond
}

// declareSlots creates the slots one after another (half logical, half
// physical; a single slot is logical) and waits until all are Ready on the
// primary.
func (h *harness) declareSlots(ctx context.Context, ns, primary string, n int, res *failoverResult) error {
	start := time.Now()
	for i := range n {
		logical := i%2 == 0
		if logical {
			res.LogicalSlots++
		} else {
			res.PhysicalSlots++
		}
		if err := h.c.Create(ctx, slotObj(ns, i, logical)); err != nil {
			return err
		}
	}
	if err := h.waitAllReady(ctx, ns, primary, n, failoverLimit(n)); err != nil {
		return err
	}
	res.SetupAllReady = time.Since(start)
	return nil
}

// recoverOn promotes the standby and times the request to promote to every
// slot Ready on it. Timed from the promote request: pgtest notices the end
// of recovery only at its next check, by which time the operator may
// already be done, so this includes the promotion itself and errs on the
// slow side. The operator's metrics are read around the same span.
func (h *harness) recoverOn(ctx context.Context, ns string, s *pgtest.Server, sc failoverScenario, prof *failoverProfile, res *failoverResult) error {
	before, cpu0, self0 := gatherOps(), sampleCPU(), selfCPU()
	prof.start()
	t0 := time.Now()
	if err := s.Promote(ctx); err != nil {
		prof.stop()
		return err
	}
	detected, onPG := make(chan time.Duration, 1), make(chan time.Duration, 1)
	go func() { detected <- h.waitPrimary(ctx, ns, s.Addr(), t0) }()
	pgCtx, stopPG := context.WithTimeout(ctx, failoverLimit(sc.slots))
	defer stopPG()
	go func() { onPG <- waitOnPostgres(pgCtx, s, sc.slots, t0) }()
	err := h.waitAllReady(ctx, ns, s.Addr(), sc.slots, failoverLimit(sc.slots))
	res.Recovery = time.Since(t0)
	res.Ops, res.CPU, res.SelfCPU = gatherOps().sub(before), sampleCPU().sub(cpu0), selfCPU()-self0
	prof.stop()
	res.Detected, res.OnPostgres = <-detected, <-onPG
	return err
}

// selfCPU is the CPU this process has used so far.
func selfCPU() time.Duration {
	_, d, _ := procTimes("/proc/self")
	return d
}

// readyPoll is how often waitAllReady looks: every 10 ms up to 100 slots,
// as the other sections do; every 100 ms for more, since even uncopied a
// List of a thousand objects every 10 ms took a sixth of this process's
// CPU in a profile of the recovery, CPU the controllers share, and 100 ms is
// under 1% of that recovery.
func readyPoll(want int) time.Duration {
	if want > 100 {
		return 100 * time.Millisecond
	}
	return 10 * time.Millisecond
}

// waitAllReady polls the informer cache until want slots are Ready on
// host. Unlike waitReady it reads the cached objects without copying them,
// for the same reason.
func (h *harness) waitAllReady(ctx context.Context, ns, host string, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var list api.ReplicationSlotList
		if err := h.c.List(ctx, &list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err == nil {
			n := 0
			for i := range list.Items {
				st := &list.Items[i].Status
				if st.Host == host && meta.IsStatusConditionTrue(st.Conditions, api.ConditionReady) {
					n++
				}
			}
			if n >= want {
				return nil
			}
		}
		time.Sleep(readyPoll(want))
	}
	return fmt.Errorf("fewer than %d slots Ready on %q after %s", want, host, limit)
}

// dropSlots deletes the run's ReplicationSlots while the promoted server is
// up and waits until the operator has finalized them all, then deletes the
// PostgresServer, which stops its monitor. Objects left on stopped servers
// would go on being reconciled and probed during the later runs and blur
// their figures. It returns how long the slots took (the limit if it gave
// up, which is only reported).
func (h *harness) dropSlots(ctx context.Context, ns string) time.Duration {
	t0 := time.Now()
	if err := h.c.DeleteAllOf(ctx, &api.ReplicationSlot{}, client.InNamespace(ns)); err != nil {
		fmt.Printf("failover: deleting the slots of %s: %v\n", ns, err)
		return 0
	}
	gone := h.waitGone(ctx, ns, &api.ReplicationSlotList{}, 3*time.Minute)
	d := time.Since(t0)
	if err := h.c.Delete(ctx, &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}}); err != nil {
		fmt.Printf("failover: deleting the server of %s: %v\n", ns, err)
	} else if gone {
		h.waitGone(ctx, ns, &api.PostgresServerList{}, 30*time.Second)
	}
	return d
}

// waitGone waits until the namespace holds no object of the list's kind.
func (h *harness) waitGone(ctx context.Context, ns string, list client.ObjectList, limit time.Duration) bool {
	for t0 := time.Now(); time.Since(t0) < limit; time.Sleep(50 * time.Millisecond) {
		if err := h.c.List(ctx, list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err == nil && meta.LenList(list) == 0 {
			return true
		}
	}
	fmt.Printf("failover: %T of %s still there after %s\n", list, ns, limit)
	return false
}
