package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The API floor: what kube-apiserver alone needs for the writes one new
// slot costs at the least, made by the benchmark before the operator runs
// (so nothing else loads the machine but etcd): per object the create, an
// update of its metadata (the operator's finalizer), one status patch and
// one Event, each object's writes in sequence, applyWorkers objects at a
// time. Then the same for what a failover costs each slot at the least. No operator can make its batch Ready faster than this on the same
// apiserver; the batches below add the operator, PostgreSQL and a watch.

const (
	floorNS     = "floor"
	floorHeldNS = "floor-held"
)

// apiFloor times n objects' writes, then the writes a failover costs the
// same objects (failoverWrites), and deletes the objects again.
func (r *scaleRig) apiFloor(ctx context.Context, n int) (batch, failover time.Duration, err error) {
	if err := r.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: floorNS}}); err != nil {
		return 0, 0, err
	}
	cpu0 := sampleCPU()
	if batch, err = timedWrites(ctx, n, r.floorWrites); err != nil {
		return 0, 0, fmt.Errorf("API floor: %w", err)
	}
	r.floorCPU = controlPlaneCPU(sampleCPU().sub(cpu0))
	if failover, err = timedWrites(ctx, n, r.failoverWrites); err != nil {
		return 0, 0, fmt.Errorf("API floor of a failover: %w", err)
	}
	if r.failoverPatches, err = timedWrites(ctx, n, r.failoverPatchOnly); err != nil {
		return 0, 0, fmt.Errorf("API floor of a failover's status patches: %w", err)
	}
	if err := r.c.DeleteAllOf(ctx, &api.ReplicationSlot{}, client.InNamespace(floorNS)); err != nil {
		return 0, 0, err
	}
	if r.floorHeld, err = r.heldFloor(ctx, n); err != nil {
		return 0, 0, fmt.Errorf("API floor with the finalizer in the create: %w", err)
	}
	return batch, failover, nil
}

// heldFloor times the three writes a new slot costs at the least when the
// finalizer comes with its create, as the finalizer policy gives it: the
// create, a status patch and an Event (floorHeldNS). The finalizers are
// then taken off, untimed, so that the objects can go.
func (r *scaleRig) heldFloor(ctx context.Context, n int) (time.Duration, error) {
	if err := r.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: floorHeldNS}}); err != nil {
		return 0, err
	}
	d, err := timedWrites(ctx, n, r.heldWrites)
	if err != nil {
		return 0, err
	}
	err = forEach(ctx, n, func(ctx context.Context, i int) error {
		rs := &api.ReplicationSlot{}
		rs.Namespace, rs.Name = floorHeldNS, scaleSlot("physical", i).Name
		return r.c.Patch(ctx, rs, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))
	})
	if err != nil {
		return 0, err
	}
	return d, r.c.DeleteAllOf(ctx, &api.ReplicationSlot{}, client.InNamespace(floorHeldNS))
}

// heldWrites makes one object's three writes, its finalizer in the create.
func (r *scaleRig) heldWrites(ctx context.Context, i int) error {
	rs := scaleSlot("physical", i)
	rs.Namespace, rs.Finalizers = floorHeldNS, []string{api.FinalizerName}
	if err := r.c.Create(ctx, rs); err != nil {
		return err
	}
	return r.statusAndEvent(ctx, rs, "127.0.0.1:5432", "Created", metav1.Now())
}

// timedWrites runs writes for objects 0..n-1 (forEach) and times the
// whole.
func timedWrites(ctx context.Context, n int, writes func(context.Context, int) error) (time.Duration, error) {
	t0 := time.Now()
	err := forEach(ctx, n, writes)
	return time.Since(t0), err
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
	now := metav1.Now()
	return r.statusAndEvent(ctx, rs, "127.0.0.1:5432", "Created", now)
}

// failoverWrites makes the two writes a failover costs an existing slot at
// the least: its status names the new host, and one Event says it was
// recreated there.
func (r *scaleRig) failoverWrites(ctx context.Context, i int) error {
	rs := &api.ReplicationSlot{}
	if err := r.c.Get(ctx, client.ObjectKey{Namespace: floorNS, Name: scaleSlot("physical", i).Name}, rs); err != nil {
		return err
	}
	return r.statusAndEvent(ctx, rs, "127.0.0.2:5432", "Failover", metav1.Now())
}

// failoverPatchOnly makes the one write a failover costs an existing slot
// when no Event is recorded: its status names another host. What it
// times is the least a failover's status could take on this apiserver
// even if one Event stood for all the slots.
func (r *scaleRig) failoverPatchOnly(ctx context.Context, i int) error {
	rs := &api.ReplicationSlot{}
	if err := r.c.Get(ctx, client.ObjectKey{Namespace: floorNS, Name: scaleSlot("physical", i).Name}, rs); err != nil {
		return err
	}
	before := rs.DeepCopy()
	rs.Status.Host = "127.0.0.3:5432"
	rs.Status.Conditions[0].Message = "slot exists on " + rs.Status.Host
	return r.c.Status().Patch(ctx, rs, client.MergeFrom(before))
}

// statusAndEvent patches the status of a Ready slot on host and records an
// Event with reason about it.
func (r *scaleRig) statusAndEvent(ctx context.Context, rs *api.ReplicationSlot, host, reason string, now metav1.Time) error {
	before := rs.DeepCopy()
	rs.Status.SlotName, rs.Status.Owned, rs.Status.Host = rs.Name, true, host
	rs.Status.CreatedAt, rs.Status.RestartLSN, rs.Status.WALStatus = &now, "0/1000000", "reserved"
	rs.Status.Conditions = []metav1.Condition{{Type: api.ConditionReady, Status: metav1.ConditionTrue,
		Reason: api.ReasonAvailable, Message: "slot exists on " + host, LastTransitionTime: now}}
	if err := r.c.Status().Patch(ctx, rs, client.MergeFrom(before)); err != nil {
		return err
	}
	ev := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: rs.Namespace, Name: fmt.Sprintf("%s.%x", rs.Name, now.UnixNano())},
		EventTime: metav1.NewMicroTime(now.Time), ReportingController: "bench", ReportingInstance: "bench",
		Action: "Create", Reason: reason, Type: corev1.EventTypeNormal, Note: reason + ": physical slot " + rs.Name + " on " + host,
		Regarding: corev1.ObjectReference{Kind: "ReplicationSlot", APIVersion: api.GroupVersion.String(),
			Namespace: rs.Namespace, Name: rs.Name, UID: rs.UID}}
	_, err := r.cs.EventsV1().Events(rs.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	return err
}

// controlPlaneCPU is what kube-apiserver and etcd used of a sample.
func controlPlaneCPU(s cpuSample) time.Duration {
	return s.groups["kube-apiserver"] + s.groups["etcd"]
}
