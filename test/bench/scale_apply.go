package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

const (
	batchLabel = "bench.slotkeeper.dev/batch"
	// readyLimit bounds one batch's wait for Ready: far past any target, so
	// a miss is still measured rather than cut short.
	readyLimit = 5 * time.Minute
)

func isReady(conds []metav1.Condition) bool {
	return meta.IsStatusConditionTrue(conds, api.ConditionReady)
}

// scaleSlot is object i of a batch, labelled with it; the control batch
// ("small") alternates logical and physical.
func scaleSlot(kind string, i int) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: scaleNS, Name: fmt.Sprintf("%s-%04d", kind, i),
		Labels: map[string]string{batchLabel: kind}},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotPhysical}}
	if kind == "logical" || (kind == "small" && i%2 == 0) {
		rs.Spec.Type, rs.Spec.Database = api.SlotLogical, "orders"
	}
	return rs
}

// applyBatch creates b.N objects and times, from the first create, until
// all are seen Ready (see observeReady); it also counts the API writes and
// the operator's CPU over that span.
func (r *scaleRig) applyBatch(ctx context.Context, b *batchResult) error {
	fmt.Printf("scale: applying %d %s slots\n", b.N, b.Kind)
	before, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return err
	}
	seen, err := r.observeReady(ctx, b)
	if err != nil {
		return err
	}
	cpu0, machine0, ctl0 := procCPU(r.op.Pid()), sampleCPU(), scrapeControllers(ctx, r.metrics)
	t0 := time.Now()
	defer r.profileBatch(ctx, b.Kind)()
	if err := r.createAll(ctx, b.Kind, b.N); err != nil {
		return err
	}
	b.Created = time.Since(t0)
	seen(t0)
	b.CPU = procCPU(r.op.Pid()) - cpu0
	b.Machine, b.Controllers = sampleCPU().sub(machine0), subControllers(scrapeControllers(ctx, r.metrics), ctl0)
	b.List, b.ObjBytes = r.timeList(ctx, b.Kind)
	after, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return err
	}
	b.Writes = diffWrites(before, after)
	fmt.Printf("scale: %d %s slots: created in %s, %d Ready after %s\n", b.N, b.Kind, ms(b.Created), b.Ready, ms(b.AllReady))
	fmt.Printf("scale: CPU %s; %s\n", cpuLine(b.CPU, b.Machine), reconcileLine(b.Controllers))
	return ctx.Err()
}

// createAll creates objects 0..n-1 of a batch with applyWorkers goroutines,
// like a GitOps tool applying a large directory; the first error stops it.
func (r *scaleRig) createAll(ctx context.Context, kind string, n int) error {
	if err := createEach(ctx, r.c, n, func(i int) client.Object { return scaleSlot(kind, i) }); err != nil {
		return fmt.Errorf("create %s slot: %w", kind, err)
	}
	return nil
}

// createEach creates obj(0)..obj(n-1) with applyWorkers goroutines; the
// first error stops them and is returned.
func createEach(ctx context.Context, c client.Client, n int, obj func(int) client.Object) error {
	return forEach(ctx, n, func(ctx context.Context, i int) error { return c.Create(ctx, obj(i)) })
}

// forEach runs do for 0..n-1, applyWorkers at a time, and returns the
// first error; after one, no further i is handed out.
func forEach(ctx context.Context, n int, do func(context.Context, int) error) error {
	next := make(chan int)
	errs := make(chan error, applyWorkers)
	var wg sync.WaitGroup
	for range applyWorkers {
		wg.Go(func() {
			for i := range next {
				if err := do(ctx, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	feed(ctx, next, n, errs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// feed hands out 0..n-1 until a worker fails, then closes next.
func feed(ctx context.Context, next chan<- int, n int, errs chan error) {
	defer close(next)
	for i := range n {
		select {
		case next <- i:
		case err := <-errs:
			errs <- err // put back for the caller
			return
		case <-ctx.Done():
			return
		}
	}
}

// deleteBatch deletes a batch's objects and waits until they are gone (the
// operator drops their slots before it removes its finalizer).
func (r *scaleRig) deleteBatch(ctx context.Context, kind string) error {
	sel := client.MatchingLabels{batchLabel: kind}
	if err := r.c.DeleteAllOf(ctx, &api.ReplicationSlot{}, client.InNamespace(scaleNS), sel); err != nil {
		return err
	}
	return waitFor(time.Minute, func() bool {
		var list api.ReplicationSlotList
		return r.c.List(ctx, &list, client.InNamespace(scaleNS), sel) == nil && len(list.Items) == 0
	})
}
