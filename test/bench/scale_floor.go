package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The API floor: what kube-apiserver alone needs for the writes one new
// slot costs at the least, made by the benchmark before the operator runs
// (so nothing else loads the machine but etcd): per object the create, an
// update of its metadata (the operator's finalizer), one status patch and
// one Event, each object's writes in sequence, applyWorkers objects at a
// time. No operator can make its batch Ready faster than this on the same
// apiserver; the batches below add the operator, PostgreSQL and a watch.

const floorNS = "floor"

// apiFloor times n objects' writes and deletes the objects again.
func (r *scaleRig) apiFloor(ctx context.Context, n int) (time.Duration, error) {
	if err := r.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: floorNS}}); err != nil {
		return 0, err
	}
	next := make(chan int)
	errs := make(chan error, applyWorkers)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range applyWorkers {
		wg.Go(func() {
			for i := range next {
				if err := r.floorWrites(ctx, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	feed(ctx, next, n, errs)
	wg.Wait()
	took := time.Since(t0)
	select {
	case err := <-errs:
		return 0, fmt.Errorf("API floor: %w", err)
	default:
	}
	return took, r.c.DeleteAllOf(ctx, &api.ReplicationSlot{}, client.InNamespace(floorNS))
}

// floorWrites makes one object's four writes, as the operator would.
func (r *scaleRig) floorWrites(ctx context.Context, i int) error {
	rs := scaleSlot("physical", i)
	rs.Namespace = floorNS
	if err := r.c.Create(ctx, rs); err != nil {
		return err
	}
	rs.Labels["bench.slotkeeper.dev/updated"] = "true" // a metadata update, like adding a finalizer
	if err := r.c.Update(ctx, rs); err != nil {
		return err
	}
	before := rs.DeepCopy()
	now := metav1.Now()
	rs.Status.SlotName, rs.Status.Owned, rs.Status.Host = rs.Name, true, "127.0.0.1:5432"
	rs.Status.CreatedAt, rs.Status.RestartLSN, rs.Status.WALStatus = &now, "0/1000000", "reserved"
	rs.Status.Conditions = []metav1.Condition{{Type: api.ConditionReady, Status: metav1.ConditionTrue,
		Reason: api.ReasonAvailable, Message: "slot exists", LastTransitionTime: now}}
	if err := r.c.Status().Patch(ctx, rs, client.MergeFrom(before)); err != nil {
		return err
	}
	ev := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: floorNS, Name: fmt.Sprintf("%s.%x", rs.Name, now.UnixNano())},
		EventTime: metav1.NewMicroTime(now.Time), ReportingController: "bench", ReportingInstance: "bench",
		Action: "Create", Reason: "Created", Type: corev1.EventTypeNormal, Note: "created physical slot " + rs.Name,
		Regarding: corev1.ObjectReference{Kind: "ReplicationSlot", APIVersion: api.GroupVersion.String(),
			Namespace: floorNS, Name: rs.Name, UID: rs.UID}}
	_, err := r.cs.EventsV1().Events(floorNS).Create(ctx, ev, metav1.CreateOptions{})
	return err
}
