package main

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// How "all Ready" is observed. A List of 1,000 ReplicationSlots took about
// 0.5 s in trial runs on this machine, so a List every 100 ms turns into
// back-to-back Lists that compete with the operator for the same 2 CPUs. A
// watch sees the same status writes as they land, for the cost of events
// kube-apiserver sends the operator anyway. -scale-observe=list restores
// the List method for comparison.
const (
	observeWatch = "watch"
	observeList  = "list"
)

// observeReady starts observing before the first create and returns the
// wait, which sets b.Ready and (when all were seen Ready within readyLimit
// of t0) b.AllReady.
func (r *scaleRig) observeReady(ctx context.Context, b *batchResult) (func(t0 time.Time), error) {
	sel := []client.ListOption{client.InNamespace(scaleNS), client.MatchingLabels{batchLabel: b.Kind}}
	if r.observe == observeList {
		return func(t0 time.Time) { r.pollReady(ctx, b, t0, sel) }, nil
	}
	rw := &readyWatch{n: b.N, ready: map[string]bool{}, done: make(chan struct{})}
	wctx, cancel := context.WithCancel(ctx)
	go rw.follow(wctx, r.c, sel)
	return func(t0 time.Time) {
		defer cancel()
		rw.wait(ctx, t0, b)
	}, nil
}

// readyWatch follows a batch in a goroutine of its own from before the
// first create: kube-apiserver closes a watch whose events nobody reads
// while the creates are in flight. A closed watch is restarted from a List.
type readyWatch struct {
	n      int
	mu     sync.Mutex
	ready  map[string]bool
	doneAt time.Time
	done   chan struct{} // closed when all n were first seen Ready
}

func (rw *readyWatch) follow(ctx context.Context, c client.WithWatch, sel []client.ListOption) {
	for ctx.Err() == nil {
		var list api.ReplicationSlotList
		if err := c.List(ctx, &list, sel...); err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i := range list.Items {
			rw.see(&list.Items[i], false)
		}
		from := &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}}
		w, err := c.Watch(ctx, &api.ReplicationSlotList{}, append(sel, from)...)
		if err != nil {
			continue
		}
		for ev := range w.ResultChan() {
			if rs, ok := ev.Object.(*api.ReplicationSlot); ok {
				rw.see(rs, ev.Type == watch.Deleted)
			}
		}
		w.Stop()
	}
}

func (rw *readyWatch) see(rs *api.ReplicationSlot, deleted bool) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.ready[rs.Name] = !deleted && isReady(rs.Status.Conditions)
	if countTrue(rw.ready) == rw.n && rw.doneAt.IsZero() {
		rw.doneAt = time.Now()
		close(rw.done)
	}
}

func (rw *readyWatch) wait(ctx context.Context, t0 time.Time, b *batchResult) {
	select {
	case <-rw.done:
	case <-time.After(readyLimit - time.Since(t0)):
	case <-ctx.Done():
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if b.Ready = countTrue(rw.ready); !rw.doneAt.IsZero() {
		b.AllReady = rw.doneAt.Sub(t0)
	}
}

// pollReady lists the batch every 100 ms until all are Ready or readyLimit
// passes.
func (r *scaleRig) pollReady(ctx context.Context, b *batchResult, t0 time.Time, sel []client.ListOption) {
	for time.Since(t0) < readyLimit && ctx.Err() == nil {
		var list api.ReplicationSlotList
		if err := r.c.List(ctx, &list, sel...); err == nil {
			ready := map[string]bool{}
			for i := range list.Items {
				ready[list.Items[i].Name] = isReady(list.Items[i].Status.Conditions)
			}
			if b.Ready = countTrue(ready); b.Ready == b.N {
				b.AllReady = time.Since(t0)
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// timeList times three Lists of the batch once it is done and returns the
// median, what one observation by List costs, and the mean size of an
// object as JSON (managedFields included), which the operator's cache holds
// once per object.
func (r *scaleRig) timeList(ctx context.Context, kind string) (time.Duration, int) {
	var ds []time.Duration
	size := 0
	for range 3 {
		var list api.ReplicationSlotList
		t0 := time.Now()
		if r.c.List(ctx, &list, client.InNamespace(scaleNS), client.MatchingLabels{batchLabel: kind}) == nil {
			ds = append(ds, time.Since(t0))
			if raw, err := json.Marshal(list.Items); err == nil && len(list.Items) > 0 {
				size = len(raw) / len(list.Items)
			}
		}
	}
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], size
}

func countTrue(m map[string]bool) (n int) {
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}
