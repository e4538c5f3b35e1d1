package controllers

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
	"github.com/slotkeeper/slotkeeper/controllers/preamble"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/ownwrites"
	"github.com/slotkeeper/slotkeeper/internal/patroni"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// deletionRecheck is how often a deleted server re-checks whether its
// ReplicationSlots are gone.
const deletionRecheck = 5 * time.Second

// serverRefresh is how often a server's status is recomputed when the
// monitor reports no change: its figures move without a wake-up.
const serverRefresh = 30 * time.Second

// PostgresServerReconciler keeps a monitor running for every PostgresServer
// and reports what it sees.
type PostgresServerReconciler struct {
	client.Client
	// SecretReader reads Secrets straight from the API server, so their
	// contents never sit in the informer cache.
	SecretReader client.Reader
	Monitor      *monitor.Manager
	// Conns reaches the servers' members (timeouts for Patroni calls).
	Conns    *connections.Registry
	Recorder events.EventRecorder
	// Patroni holds the REST clients of servers with spec.patroni.
	Patroni *patroni.Registry
	// HostPolicy says where connections may go; nil allows every address.
	HostPolicy *postgres.HostPolicy

	written *ownwrites.Cache[api.PostgresServerStatus]
}

// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=postgresservers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=postgresservers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=postgresservers/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one PostgresServer's monitor and status up to date.
func (r *PostgresServerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ps api.PostgresServer
	found, err := preamble.Load(ctx, r, req.NamespacedName, &ps, &ps.Status, r.written, func() {
		r.Monitor.Remove(req.NamespacedName)
		metrics.DeleteServer(req.Namespace, req.Name)
		r.written.Forget(req.NamespacedName)
	})
	if !found || err != nil {
		return ctrl.Result{}, err
	}
	if !ps.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &ps)
	}
	if err := preamble.HoldFinalizer(ctx, r, &ps, api.ServerFinalizerName); err != nil {
		return ctrl.Result{}, err
	}
	before := ps.DeepCopy()
	failover := r.observe(ctx, &ps)
	if err := r.patchStatus(ctx, before, &ps); err != nil {
		return ctrl.Result{}, err
	}
	// Only once the failover is recorded: a reconcile of a stale object
	// must not announce it twice.
	if failover != "" {
		r.Recorder.Eventf(&ps, nil, "Warning", "Failover", record.ActionReconcile, "%s", failover)
	}
	// The monitor wakes us on every change of roles or slots, but not for
	// figures (unmanaged retained WAL, lag) or a retry after an error: look
	// again on a slow schedule.
	return ctrl.Result{RequeueAfter: serverRefresh}, nil
}

// observe refreshes the monitor's configuration and fills status from its
// latest snapshot. It returns the description of a failover it recorded.
func (r *PostgresServerReconciler) observe(ctx context.Context, ps *api.PostgresServer) string {
	key := client.ObjectKeyFromObject(ps)
	cfg, outcome := r.monitorConfig(ctx, ps)
	if outcome != nil {
		if outcome.Reason == api.ReasonCredentialsMissing {
			// A deleted Secret (or key) revokes the credentials: whoever
			// removed it meant the operator to stop using them. The
			// monitor starts again when the Secret is back.
			r.Monitor.Remove(key)
		}
		r.setConditions(ps, status.ServerInputs{Generation: ps.Generation, Outcome: *outcome})
		return ""
	}
	r.Monitor.Ensure(key, cfg)
	slots, ok := r.slotsOf(ctx, ps)
	if !ok {
		return ""
	}
	snap := r.Monitor.Snapshot(key)
	if snap == nil && status.ReadyOf(ps.Status.Conditions).Type != "" {
		// Right after a (re)start, before the first probe: keep what status
		// says rather than flap Ready; the first snapshot wakes us.
		return ""
	}
	o, missing, known := status.ServerOutcome(snap, needsLogical(slots))
	failover := ""
	in := status.ServerInputs{Generation: ps.Generation, Outcome: o,
		SplitBrain: splitClaims(snap), Missing: missing, PrerequisitesKnown: known}
	if snap != nil {
		failover = r.viewServer(ctx, ps, snap, slots, &in)
	}
	if known && needsFailoverSlots(slots) {
		in.FailoverMissing = status.FailoverPrerequisites(snap)
	}
	r.setConditions(ps, in)
	publishServerMetrics(ps, snap)
	return failover
}

// slotsOf lists the server's ReplicationSlots (on failure it sets the
// Error outcome and reports false), and clears the failover's recreation
// record once none of them needs it.
func (r *PostgresServerReconciler) slotsOf(ctx context.Context, ps *api.PostgresServer) ([]api.ReplicationSlot, bool) {
	slots, err := index.SlotsOfServer(ctx, r.Client, ps.Namespace, ps.Name)
	if err != nil {
		r.setConditions(ps, status.ServerInputs{Generation: ps.Generation,
			Outcome: status.Outcome{Phase: status.Retrying, Reason: api.ReasonError, Message: err.Error()}})
		return nil, false
	}
	if status.RecreationDone(ps.Status.Recreation, slots, time.Now()) {
		ps.Status.Recreation = nil
	}
	return slots, true
}

// viewServer fills status from the snapshot and the conditions that depend
// on it; it returns the description of a failover it recorded.
func (r *PostgresServerReconciler) viewServer(ctx context.Context, ps *api.PostgresServer, snap *observation.Snapshot,
	slots []api.ReplicationSlot, in *status.ServerInputs) string {
	managed, err := index.SlotsOfCluster(ctx, r.Client, ps, snap.SystemIdentifier, slots)
	if err != nil {
		managed = [][]api.ReplicationSlot{slots}
	}
	names := managedNames(managed...)
	r.Monitor.SetManaged(client.ObjectKeyFromObject(ps), names)
	view := status.ViewServer(snap, names)
	failover := noteFailover(ps, view)
	applyServerView(ps, view)
	in.UnmanagedRetention = status.UnmanagedRetention(ps.Generation, view.Slots, view.Unmanaged, unmanagedBudget(ps))
	in.HACoverage, in.HAObserved = status.HACoverage(*r.observeHAManager(ctx, ps, snap, slots)), true
	return failover
}

func (r *PostgresServerReconciler) setConditions(ps *api.PostgresServer, in status.ServerInputs) {
	old := status.ReadyOf(ps.Status.Conditions)
	ps.Status.Conditions = status.ServerConditions(ps.Status.Conditions, in)
	ps.Status.ObservedGeneration = ps.Generation
	cur := status.ReadyOf(ps.Status.Conditions)
	record.Transition(r.Recorder, ps, old, cur, record.Quiet(old, cur, in.Outcome.Phase, false))
}

func applyServerView(ps *api.PostgresServer, v status.ServerView) {
	s := &ps.Status
	s.Members, s.Slots, s.UnmanagedSlots = v.Members, v.Slots, v.Unmanaged
	if v.Primary == "" {
		return // keep the last known primary facts while none is reachable
	}
	s.Primary, s.SystemIdentifier, s.Timeline, s.ServerVersion = v.Primary, v.SystemIdentifier, v.Timeline, v.ServerVersion
	s.Capabilities, s.Settings = v.Capabilities, v.Settings
}

// noteFailover counts a failover when the primary moved to another member,
// or the same endpoint (a Service) now serves a newer timeline.
func noteFailover(ps *api.PostgresServer, v status.ServerView) string {
	if !status.IsFailover(ps.Status.Primary, ps.Status.Timeline, v.Primary, v.Timeline) {
		return ""
	}
	now := metav1.Now()
	ps.Status.Failovers++
	ps.Status.LastFailoverTime = &now
	return fmt.Sprintf("primary changed from %s (timeline %d) to %s (timeline %d)",
		ps.Status.Primary, ps.Status.Timeline, v.Primary, v.Timeline)
}

func splitClaims(snap *observation.Snapshot) []string {
	if snap.SplitBrain() {
		return snap.Claims
	}
	return nil
}

// patchStatus writes the status when it changed by more than its figures'
// steps (status.ServerFiguresSettled): the status then still tells the
// truth closely enough, and an idle server costs no write. A write that
// clears the recreation record is refused if the object changed since it
// was read: a bulk recreation of the same promotion may have added names
// to it.
func (r *PostgresServerReconciler) patchStatus(ctx context.Context, before, ps *api.PostgresServer) error {
	if status.ServerFiguresSettled(before.Status, ps.Status) {
		return nil
	}
	patch := client.MergeFrom(before)
	if before.Status.Recreation != nil && ps.Status.Recreation == nil {
		patch = client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	}
	err := r.Status().Patch(ctx, ps, patch)
	if err != nil {
		log.FromContext(ctx).V(1).Info("status patch failed", "error", err.Error())
		return client.IgnoreNotFound(err)
	}
	r.written.Remember(client.ObjectKeyFromObject(ps), ps.ResourceVersion, *ps.Status.DeepCopy())
	return nil
}
