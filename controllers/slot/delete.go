package slot

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// releaseAfter bounds how long a deletion waits for an unreachable server.
// Past it the finalizer is removed and the slot is left in place, with a
// Warning Event: a namespace must not hang forever on a dead database, and
// leaving a slot is recoverable while dropping the wrong one is not.
const releaseAfter = 10 * time.Minute

// finalize drops the slot when the policy says so and this object owns it,
// then removes the finalizer.
func (r *Reconciler) finalize(ctx context.Context, rs *api.ReplicationSlot) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(rs, api.FinalizerName) {
		return ctrl.Result{}, nil
	}
	key := client.ObjectKeyFromObject(rs)
	r.Monitor.Untrack(key)
	// A creation still waiting is cancelled (PostgreSQL leaves no slot),
	// and none begins for this object from now on.
	r.Creator.Close(key, rs.UID)
	sc := r.newScope(rs)
	sc.deleting = true
	defer r.publish(sc)
	keep, why, err := r.keepSlot(ctx, rs)
	if err != nil {
		return ctrl.Result{}, err
	}
	if keep {
		sc.event("Normal", "Released", record.ActionRelease, "slot %q left in place: %s", rs.SlotName(), why)
		return ctrl.Result{}, r.release(ctx, rs)
	}
	o, left := r.dropOnce(ctx, sc)
	if o == nil && !left {
		o = r.entryAfterDrop(ctx, sc)
	}
	if o == nil {
		return ctrl.Result{}, r.release(ctx, rs)
	}
	if time.Since(rs.DeletionTimestamp.Time) > releaseAfter && o.Reason != api.ReasonSlotActive {
		sc.event("Warning", "Released", record.ActionRelease,
			"gave up dropping slot %q after %s (%s); the slot is left on the server: drop it by hand if it is unwanted",
			rs.SlotName(), releaseAfter, o.Message)
		return ctrl.Result{}, r.release(ctx, rs)
	}
	before := rs.DeepCopy()
	r.setSlotStatus(sc, *o, copyReport{})
	_, err = r.patchSlotStatus(ctx, before, rs, *o)
	return ctrl.Result{RequeueAfter: deletionBackoff(rs)}, err
}

// entryAfterDrop removes the slot's ignore_slots entry once the slot is
// dropped; past ReleaseAfter it gives up and says so, as for the slot.
func (r *Reconciler) entryAfterDrop(ctx context.Context, sc *slotScope) *status.Outcome {
	o := r.removeIgnoreEntry(ctx, sc)
	if o != nil && time.Since(sc.rs.DeletionTimestamp.Time) > releaseAfter {
		sc.event("Warning", "Released", record.ActionRelease,
			"dropped slot %q, but gave up removing its entry from Patroni's ignore_slots after %s (%s): remove it there by hand",
			sc.name, releaseAfter, o.Message)
		return nil
	}
	return o
}

// keepSlot decides whether deletion must leave the slot alone.
func (r *Reconciler) keepSlot(ctx context.Context, rs *api.ReplicationSlot) (bool, string, error) {
	if keep, why := keptByPolicy(rs); keep {
		return true, why, nil
	}
	others, err := r.competitors(ctx, rs, sameSystem, false)
	if err != nil {
		return false, "", err
	}
	for i := range others {
		// Only this namespace's objects hand a slot over. Another
		// namespace's object was matched by what its own endpoint reports,
		// and a spoofed identifier must not keep this team's slot (and its
		// WAL) alive forever.
		if others[i].Namespace == rs.Namespace {
			return true, alsoDeclared(rs, &others[i]), nil
		}
	}
	var ps api.PostgresServer
	err = r.Get(ctx, types.NamespacedName{Namespace: rs.Namespace, Name: rs.Spec.ServerRef.Name}, &ps)
	if apierrors.IsNotFound(err) {
		return true, "its PostgresServer no longer exists", nil
	}
	return false, "", err
}

// dropPlanned runs the same checks as a reconcile (server usable, no
// split brain) before it drops or leaves the slot as planned, and never
// drops an active slot.
func (r *Reconciler) dropPlanned(ctx context.Context, sc *slotScope, plan dropPlan) (*status.Outcome, dropState) {
	row, o := r.deletionRow(ctx, sc)
	switch {
	case o != nil:
		return o, dropNone
	case row == nil && plan == planLeave:
		return nil, dropDone
	case row == nil:
		return r.recordGone(ctx, sc)
	case plan == planLeave:
		return nil, leaveInPlace(sc)
	case row.Active:
		who, _ := holder(sc, row)
		return status.Retry(api.ReasonSlotActive, fmt.Sprintf(
			"not dropping slot %q while it is in use: %s; or set deletionPolicy: Retain to leave it in place", sc.name, who)), dropNone
	}
	return r.sendDrop(ctx, sc)
}

// deletionRow reads the slot for a deletion, through the checks every
// reconcile makes first.
func (r *Reconciler) deletionRow(ctx context.Context, sc *slotScope) (*postgres.Slot, *status.Outcome) {
	if o, err := r.resolveServer(ctx, sc); err != nil || o != nil {
		return nil, orError(o, err)
	}
	if o, err := r.resolveTarget(ctx, sc); err != nil || o != nil {
		return nil, orError(o, err)
	}
	return r.readSlot(ctx, sc)
}

func orError(o *status.Outcome, err error) *status.Outcome {
	if o != nil {
		return o
	}
	return status.Retry(api.ReasonError, err.Error())
}

// release removes slotkeeper's finalizer with a JSON patch that names it by
// position and tests it first: no resourceVersion is needed (a write-ahead
// status patch in this reconcile has moved it past the cached object's),
// and a finalizer another controller added meanwhile is never removed.
// What this process knows of the deletion's drop is kept until the object
// has left the cache (dropMemo).
func (r *Reconciler) release(ctx context.Context, rs *api.ReplicationSlot) error {
	i := slices.Index(rs.Finalizers, api.FinalizerName)
	if i < 0 {
		return nil
	}
	patch := fmt.Sprintf(`[{"op":"test","path":"/metadata/finalizers/%d","value":%q},{"op":"remove","path":"/metadata/finalizers/%d"}]`,
		i, api.FinalizerName, i)
	return client.IgnoreNotFound(r.Patch(ctx, rs, client.RawPatch(types.JSONPatchType, []byte(patch))))
}

// deletionBackoff grows with the time the deletion has waited, from 2 s to
// a minute.
func deletionBackoff(rs *api.ReplicationSlot) time.Duration {
	d := time.Since(rs.DeletionTimestamp.Time) / 4
	return min(max(d, 2*time.Second), time.Minute)
}

// alsoDeclared names the object that keeps a slot from being dropped.
func alsoDeclared(rs, other *api.ReplicationSlot) string {
	if sameServer(rs, other) {
		return fmt.Sprintf("ReplicationSlot %q also declares it", other.Name)
	}
	return fmt.Sprintf("ReplicationSlot %q also declares it, through PostgresServer %q on a cluster with the same system identifier; "+
		"delete that object too, or drop the slot by hand if that server is another cluster restored from the same backup",
		other.Name, other.Spec.ServerRef.Name)
}

// keptByPolicy applies deletionPolicy to how the slot became this object's:
// what the object cannot prove it made is dropped only when asked for
// explicitly (Delete).
func keptByPolicy(rs *api.ReplicationSlot) (bool, string) {
	switch {
	case rs.Spec.DeletionPolicy == api.DeletionRetain:
		return true, "deletionPolicy is Retain"
	case !rs.Status.Owned:
		return true, "this object never created or adopted it"
	case rs.Spec.DeletionPolicy == api.DeletionDelete:
		return false, ""
	case rs.Status.Origin != api.OriginCreated:
		return true, "this object adopted it rather than created it, and deletionPolicy is DeleteIfCreated; " +
			"set deletionPolicy: Delete before deleting to drop an adopted slot"
	}
	return false, ""
}
