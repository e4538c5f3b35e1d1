package slot

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/preamble"
	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/ownwrites"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Reconcile brings one ReplicationSlot's slot and status in line.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var rs api.ReplicationSlot
	found, err := preamble.Load(ctx, r, req.NamespacedName, &rs, &rs.Status, r.written, func() { r.forget(req.NamespacedName) })
	if !found || err != nil {
		return ctrl.Result{}, err
	}
	// A safety net under the per-call bounds: no reconcile holds a worker
	// for longer than two actions and a read, whatever a server does.
	ctx, cancel := context.WithTimeout(ctx, 2*r.actionTimeout()+r.Conns.Timeout(serverKeyOf(&rs)))
	defer cancel()
	if !rs.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &rs)
	}
	if err := preamble.HoldFinalizer(ctx, r, &rs, api.FinalizerName); err != nil {
		return ctrl.Result{}, err
	}
	return r.reconcileLive(ctx, &rs)
}

// forget drops what this process kept for an object that is gone.
func (r *Reconciler) forget(key types.NamespacedName) {
	r.Monitor.Untrack(key)
	metrics.DeleteSlot(key.Namespace, key.Name)
	r.written.Forget(key)
	r.drops.Delete(key)
	r.heldMissing.Delete(key)
	r.intentClean.Delete(key)
	r.lost.Delete(key)
	r.madeOn.Delete(key)
}

// reconcileLive runs the phases on an object that is not being deleted and
// writes their result into status: the one status write of the reconcile,
// followed by its Events.
func (r *Reconciler) reconcileLive(ctx context.Context, rs *api.ReplicationSlot) (ctrl.Result, error) {
	before := rs.DeepCopy()
	sc := r.newScope(rs)
	sc.base = before
	defer r.publish(sc)
	outcome, rep, err := r.reconcileSlot(ctx, sc)
	if err != nil {
		// The conditions stay as they are for a retry, but what the phases
		// did before the error (an adoption, a copy made) is written.
		rs.Status.Loss = r.lossToWrite(sc)
		if _, werr := r.patchSlotStatus(ctx, before, rs, status.Outcome{Phase: status.Retrying}); werr == nil {
			r.told(sc)
		}
		return ctrl.Result{}, err
	}
	if sc.firstObservation && status.ReadyOf(rs.Status.Conditions).Type != "" {
		// Right after a (re)start the monitor has not probed yet: keep the
		// conditions as they are rather than flap Ready for a moment.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	r.setSlotStatus(sc, outcome, rep)
	rs.Status.Loss = r.lossToWrite(sc)
	res, err := r.patchSlotStatus(ctx, before, rs, outcome)
	if err == nil {
		r.told(sc)
	}
	return res, err
}

// told forgets a loss once the status that tells it is written: until
// then the next reconcile tells it again.
func (r *Reconciler) told(sc *slotScope) {
	if sc.lossTold {
		r.lost.Delete(client.ObjectKeyFromObject(sc.rs))
	}
}

// reconcileSlot runs the phases in order; each returns an outcome to stop
// at, or nil to go on. The copies phase, last, returns its report.
func (r *Reconciler) reconcileSlot(ctx context.Context, sc *slotScope) (status.Outcome, copyReport, error) {
	phases := []func(context.Context, *slotScope) (*status.Outcome, error){
		checkSpec, r.resolveServer, r.checkConflict, r.targetOrLeave, followRecords, r.keepIgnoreEntry, r.ensureSlot,
	}
	for _, phase := range phases {
		o, err := phase(ctx, sc)
		if err != nil || o != nil {
			return deref(o), copyReport{}, err
		}
	}
	rep := r.syncStandbyCopies(ctx, sc)
	return availableOutcome(sc), rep, nil
}

func deref(o *status.Outcome) status.Outcome {
	if o == nil {
		return status.Outcome{}
	}
	return *o
}

// SetupWithManager wires the reconciler: ReplicationSlots, the monitor's
// wake-ups, and PostgresServers (a server appearing or recovering wakes its
// slots).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	r.written = ownwrites.New[api.ReplicationSlotStatus]()
	return r.setupController(mgr, workers)
}
