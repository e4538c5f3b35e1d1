package slot

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/ownwrites"
	"github.com/slotkeeper/slotkeeper/internal/patroni"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// figureRefresh is how often LSN and byte figures are rewritten in status
// when nothing else changed; live figures belong to metrics.
const figureRefresh = 30 * time.Second

// Reconciler creates, adopts, observes and drops slots.
type Reconciler struct {
	client.Client
	Monitor *monitor.Manager
	// Conns reaches the servers' members, with their current credentials.
	Conns    *connections.Registry
	Creator  *creator.Creator
	Recorder events.EventRecorder
	// ActionTimeout bounds one SQL action (create, drop).
	ActionTimeout time.Duration
	// Patroni holds the REST clients of servers with spec.patroni, shared
	// with the server reconciler.
	Patroni *patroni.Registry

	written *ownwrites.Cache[api.ReplicationSlotStatus]
}

// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=replicationslots,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=replicationslots/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=replicationslots/finalizers,verbs=update

// slotScope is what one reconcile of one ReplicationSlot works with.
type slotScope struct {
	rs        *api.ReplicationSlot
	name      string
	serverKey types.NamespacedName
	snap      *observation.Snapshot
	target    *observation.Member
	// row is the slot as last observed on the target, nil when absent.
	row *postgres.Slot
	// heldElsewhere says which other namespace's object owns the slot, so
	// it must not be adopted. Read before the slot itself: that object's
	// deletion drops the slot before it leaves the cache, so a slot read
	// after a look at the cache that found it gone is never that slot.
	heldElsewhere string
	// deleting: the object is being deleted, so a server that is being
	// deleted too is still used (it waits for its slots).
	deleting bool
	// firstObservation: the server has not been probed yet.
	firstObservation bool
	// stillSince is since when the slot's consumer position has not moved
	// (zero when unknown), for judging whether a holder is stale.
	stillSince time.Time
	ps         *api.PostgresServer
	// strategy says who keeps the slot's standby copies: spec.failover is
	// read here once (resolveServer) and everything after asks this.
	strategy copies.Strategy
	// haNote says why Patroni's ignore_slots could not be kept.
	haNote string
	// events are the Events decided so far, recorded by publish.
	events []pendingEvent
}

func (r *Reconciler) newScope(rs *api.ReplicationSlot) *slotScope {
	sc := &slotScope{rs: rs, name: rs.SlotName(),
		serverKey: serverKeyOf(rs)}
	sc.stillSince, _ = r.Monitor.LastProgress(sc.serverKey, sc.name)
	return sc
}

// Reconcile brings one ReplicationSlot's slot and status in line.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var rs api.ReplicationSlot
	if err := r.Get(ctx, req.NamespacedName, &rs); err != nil {
		if apierrors.IsNotFound(err) {
			r.Monitor.Untrack(req.NamespacedName)
			metrics.DeleteSlot(req.Namespace, req.Name)
			r.written.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	// A safety net under the per-call bounds: no reconcile holds a worker
	// for longer than two actions and a read, whatever a server does.
	ctx, cancel := context.WithTimeout(ctx, 2*r.actionTimeout()+r.Conns.Timeout(serverKeyOf(&rs)))
	defer cancel()
	if st, ok := r.written.Newer(req.NamespacedName, rs.ResourceVersion); ok {
		rs.Status = *st.DeepCopy()
	}
	if !rs.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &rs)
	}
	if controllerutil.AddFinalizer(&rs, api.FinalizerName) {
		if err := r.Update(ctx, &rs); err != nil {
			return ctrl.Result{}, err
		}
	}
	return r.reconcileLive(ctx, &rs)
}

// reconcileLive runs the phases on an object that is not being deleted and
// writes their result into status: the one status write of the reconcile,
// followed by its Events.
func (r *Reconciler) reconcileLive(ctx context.Context, rs *api.ReplicationSlot) (ctrl.Result, error) {
	before := rs.DeepCopy()
	sc := r.newScope(rs)
	defer r.publish(sc)
	outcome, rep, err := r.reconcileSlot(ctx, sc)
	if err != nil {
		// The conditions stay as they are for a retry, but what the phases
		// did before the error (an adoption, a copy made) is written.
		_, _ = r.patchSlotStatus(ctx, before, rs, status.Outcome{Phase: status.Retrying})
		return ctrl.Result{}, err
	}
	if sc.firstObservation && status.ReadyOf(rs.Status.Conditions).Type != "" {
		// Right after a (re)start the monitor has not probed yet: keep the
		// conditions as they are rather than flap Ready for a moment.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	r.setSlotStatus(sc, outcome, rep)
	return r.patchSlotStatus(ctx, before, rs, outcome)
}

// saw records that this reconcile found the slot on the target at `at`
// (it created or read it). When the monitor's snapshot lacks it, the
// monitor is asked to look for it in its next one (Monitor.Expect): it
// wakes an object when its slot changes between two snapshots, so a slot
// dropped before any snapshot held it would otherwise go unnoticed until
// the next figure refresh. Asked at once, before the Refresh that follows
// a creation, so that the snapshot that first shows the slot does not wake
// this object for news it has.
func (r *Reconciler) saw(sc *slotScope, at time.Time) {
	if snapshotLacks(sc) {
		r.Monitor.Expect(sc.serverKey, sc.name, client.ObjectKeyFromObject(sc.rs), at)
	}
}

// snapshotLacks: the target's slots were listed, without this one.
func snapshotLacks(sc *slotScope) bool {
	t := sc.target
	if t == nil || t.Slots == nil {
		return false
	}
	_, seen := t.Slots[sc.name]
	return !seen
}

// reconcileSlot runs the phases in order; each returns an outcome to stop
// at, or nil to go on. The copies phase, last, returns its report.
func (r *Reconciler) reconcileSlot(ctx context.Context, sc *slotScope) (status.Outcome, copyReport, error) {
	phases := []func(context.Context, *slotScope) (*status.Outcome, error){
		checkSpec, r.resolveServer, r.checkConflict, r.resolveTarget, r.keepIgnoreEntry, r.ensureSlot,
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
