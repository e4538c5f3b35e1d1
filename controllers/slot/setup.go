package slot

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
	"github.com/slotkeeper/slotkeeper/controllers/wake"
)

// setupController watches ReplicationSlots, their PostgresServer, the
// monitor's wake-ups and the namesakes whose ownership changes.
func (r *Reconciler) setupController(mgr ctrl.Manager, workers int) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&api.ReplicationSlot{}, builder.WithPredicates(wake.UpdatesOnly(wake.SlotUpdateWakesSlot))).
		Named("replicationslot").
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Watches(&api.PostgresServer{}, handler.EnqueueRequestsFromMapFunc(r.slotsOfServerObject),
			builder.WithPredicates(wake.UpdatesOnly(wake.ServerUpdateWakesSlots))).
		WatchesRawSource(source.Channel(r.Monitor.SlotEvents(), &handler.EnqueueRequestForObject{})).
		Watches(&api.ReplicationSlot{}, handler.EnqueueRequestsFromMapFunc(r.namesakes),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(event.CreateEvent) bool { return false },
				UpdateFunc:  wake.OwnershipChanged,
				GenericFunc: func(event.GenericEvent) bool { return false },
			})).
		Complete(r)
}

// namesakes maps the deletion of a ReplicationSlot, or a change of whether
// it owns its slot, to every other object naming the same slot, in any
// namespace: one of them may own it now, or must yield it (judgeCompetitors),
// and should not wait for its next requeue.
func (r *Reconciler) namesakes(ctx context.Context, o client.Object) []reconcile.Request {
	rs, ok := o.(*api.ReplicationSlot)
	if !ok {
		return nil
	}
	var list api.ReplicationSlotList
	if err := r.List(ctx, &list, client.MatchingFields{index.SlotName: rs.SlotName()}); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if list.Items[i].UID != rs.UID {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// slotsOfServerObject maps a PostgresServer event to its ReplicationSlots.
func (r *Reconciler) slotsOfServerObject(ctx context.Context, o client.Object) []reconcile.Request {
	slots, err := index.SlotsOfServer(ctx, r.Client, o.GetNamespace(), o.GetName())
	if err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(slots))
	for i := range slots {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&slots[i])})
	}
	return out
}
