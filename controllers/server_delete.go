package controllers

import (
	"context"
	"fmt"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// finalize waits until no ReplicationSlot references the server, so each can
// still reach PostgreSQL to drop its slot, then stops the monitor.
func (r *PostgresServerReconciler) finalize(ctx context.Context, ps *api.PostgresServer) (ctrl.Result, error) {
	slots, err := index.SlotsOfServer(ctx, r.Client, ps.Namespace, ps.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(slots) > 0 {
		before := ps.DeepCopy()
		r.setConditions(ps, status.ServerInputs{Generation: ps.Generation, Outcome: status.Outcome{
			Phase: status.Progressing, Reason: api.ReasonDeleting,
			Message: fmt.Sprintf("waiting for %d ReplicationSlot(s) that use this server to be deleted", len(slots))}})
		return ctrl.Result{RequeueAfter: deletionRecheck}, r.patchStatus(ctx, before, ps)
	}
	r.Monitor.Remove(client.ObjectKeyFromObject(ps))
	r.Patroni.Remove(client.ObjectKeyFromObject(ps))
	metrics.DeleteServer(ps.Namespace, ps.Name)
	if controllerutil.RemoveFinalizer(ps, api.ServerFinalizerName) {
		return ctrl.Result{}, r.Update(ctx, ps)
	}
	return ctrl.Result{}, nil
}
