// Package wake decides which updates of slotkeeper's objects wake which
// reconciler.
package wake

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Which updates wake which reconciler. Most updates of these objects are
// the operator's own status writes, and a reconcile never needs to see its
// own write again: with every update let through, a batch of N new slots
// made the server's status change N times, each of which woke all N slots
// (N² reconciles), and every slot's status patch and finalizer woke it once
// more. Creations and deletions always pass; periodic requeues and the
// monitor's wake-ups cover what PostgreSQL changes.

// SlotUpdateWakesSlot: a change of the spec, the start of deletion, the
// data-gap acknowledgement, or our finalizer gone (someone removed it).
func SlotUpdateWakesSlot(old, cur *api.ReplicationSlot) bool {
	return old.Generation != cur.Generation || deletionChanged(old, cur) ||
		old.Annotations[api.AnnotationAcknowledgeDataGap] != cur.Annotations[api.AnnotationAcknowledgeDataGap] ||
		!controllerutil.ContainsFinalizer(cur, api.FinalizerName)
}

// SlotUpdateWakesServer: what the server's status is computed from, a
// slot's spec (type, failover, name) and whether it owns its slot.
func SlotUpdateWakesServer(old, cur *api.ReplicationSlot) bool {
	return old.Generation != cur.Generation || deletionChanged(old, cur) || old.Status.Owned != cur.Status.Owned
}

// ServerUpdateWakesSlots: what a slot's reconcile reads of its server, the
// spec, deletion, the system identifier (which servers share a cluster) and
// the Ready and Stalled conditions (mirrored before the first observation),
// and PrerequisitesMet, whose change is a fix a Stalled slot waits for
// (wal_level, REPLICATION, free slots); not the inventory, the figures and
// the other conditions, whose messages count slots and change with every
// slot created.
func ServerUpdateWakesSlots(old, cur *api.PostgresServer) bool {
	return old.Generation != cur.Generation || deletionChanged(old, cur) ||
		old.Status.SystemIdentifier != cur.Status.SystemIdentifier ||
		!sameFacts(old.Status.Conditions, cur.Status.Conditions, api.ConditionReady) ||
		!sameFacts(old.Status.Conditions, cur.Status.Conditions, api.ConditionStalled) ||
		!sameFacts(old.Status.Conditions, cur.Status.Conditions, api.ConditionPrerequisitesMet) ||
		// Slots name the HA manager in their messages (which would drop them,
		// who most likely dropped them).
		!equality.Semantic.DeepEqual(old.Status.HAManager, cur.Status.HAManager)
}

// sameFacts compares a condition's status, reason and message, not its
// times or generation.
func sameFacts(old, cur []metav1.Condition, typ string) bool {
	a, b := meta.FindStatusCondition(old, typ), meta.FindStatusCondition(cur, typ)
	if a == nil || b == nil {
		return a == b
	}
	return a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message
}

func deletionChanged(old, cur metav1.Object) bool {
	return old.GetDeletionTimestamp().IsZero() != cur.GetDeletionTimestamp().IsZero()
}

// UpdatesOnly filters update events with wakes and lets the rest through.
func UpdatesOnly[T any](wakes func(old, cur T) bool) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		old, ok1 := any(e.ObjectOld).(T)
		cur, ok2 := any(e.ObjectNew).(T)
		return !ok1 || !ok2 || wakes(old, cur)
	}}
}

// OwnershipChanged: an object took or gave up its slot, or recorded that
// it is creating one.
func OwnershipChanged(e event.UpdateEvent) bool {
	a, okA := e.ObjectOld.(*api.ReplicationSlot)
	b, okB := e.ObjectNew.(*api.ReplicationSlot)
	return okA && okB && (a.Status.Owned != b.Status.Owned || a.Status.Origin != b.Status.Origin)
}
