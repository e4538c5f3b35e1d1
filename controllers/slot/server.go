package slot

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// resolveServer finds the PostgresServer and the monitor's latest snapshot
// of it. Without a usable primary the slot mirrors the server's problem.
func (r *Reconciler) resolveServer(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	var ps api.PostgresServer
	if err := r.Get(ctx, sc.serverKey, &ps); err != nil {
		if apierrors.IsNotFound(err) {
			return status.Stall(api.ReasonServerNotFound, fmt.Sprintf(
				"PostgresServer %q not found in namespace %q: create it (a ReplicationSlot may only use a server in its own namespace)",
				sc.serverKey.Name, sc.serverKey.Namespace)), nil
		}
		return nil, err
	}
	if !ps.DeletionTimestamp.IsZero() && !sc.deleting {
		return status.Progress(api.ReasonServerNotReady, "the PostgresServer is being deleted"), nil
	}
	sc.ps = &ps
	sc.snap = r.Monitor.Snapshot(sc.serverKey)
	if sc.snap == nil {
		sc.firstObservation = true
		return serverNotReady(&ps), nil
	}
	if sc.snap.SplitBrain() {
		return status.Stall(api.ReasonSplitBrain, "split brain on the server ("+fmt.Sprint(sc.snap.Claims)+
			"): slotkeeper takes no action until one primary remains"), nil
	}
	p := sc.snap.PrimaryMember()
	if p == nil {
		o, _, _ := status.ServerOutcome(sc.snap, false)
		o.Message = "PostgresServer " + ps.Name + ": " + o.Message
		return &o, nil
	}
	sc.strategy = copies.For(sc.rs.Spec.Type, sc.rs.Spec.Failover, p.Identity)
	return nil, nil
}

// serverNotReady mirrors the server's own condition before its first
// observation (missing Secret, first probe under way).
func serverNotReady(ps *api.PostgresServer) *status.Outcome {
	msg := "waiting for the first observation of PostgresServer " + ps.Name
	if c := meta.FindStatusCondition(ps.Status.Conditions, api.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return status.Stall(api.ReasonServerNotReady, "PostgresServer "+ps.Name+": "+c.Message)
	}
	return status.Progress(api.ReasonServerNotReady, msg)
}

// checkConflict stops an object that competes with an older one for a slot.
func (r *Reconciler) checkConflict(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	msg, held, rv, err := r.conflictWith(ctx, sc.rs)
	if err != nil || msg == "" {
		sc.heldElsewhere, sc.holder, sc.ownerElsewhere = held, rv.holder, rv.owner
		return nil, err
	}
	if status.ReadyOf(sc.rs.Status.Conditions).Reason != api.ReasonConflict {
		sc.event("Warning", api.ReasonConflict, record.ActionReconcile, "%s", msg)
	}
	sc.rs.Status.Owned = false
	r.dropLoss(sc.rs)
	return status.Stall(api.ReasonConflict, msg), nil
}

// resolveTarget picks the member that holds the slot: the primary, or the
// standby named in spec.location (which, once promoted, is the primary).
func (r *Reconciler) resolveTarget(_ context.Context, sc *slotScope) (*status.Outcome, error) {
	loc := sc.rs.Spec.Location
	if loc == nil || loc.Role != api.LocationStandby {
		sc.target = sc.snap.PrimaryMember()
		return nil, nil
	}
	sc.target = sc.snap.Member(loc.Host, loc.Port)
	if sc.target == nil {
		return status.Stall(api.ReasonInvalidSpec, fmt.Sprintf(
			"location.host %q is not one of PostgresServer %q's hosts", loc.Host, sc.serverKey.Name)), nil
	}
	if sc.target.Identity == nil {
		return status.Retry(api.ReasonServerUnavailable, fmt.Sprintf("standby %s is unreachable: %v", sc.target.Addr(), sc.target.Err)), nil
	}
	id := sc.target.Identity
	if id.SystemIdentifier != sc.snap.SystemIdentifier {
		// Refused as a member, so never a target either: nothing is created
		// on a server of another cluster.
		return status.Stall(api.ReasonInvalidSpec, fmt.Sprintf(
			"location.host %s has system identifier %s, not the cluster's %s: it belongs to another cluster",
			sc.target.Addr(), id.SystemIdentifier, sc.snap.SystemIdentifier)), nil
	}
	if sc.rs.Spec.Type == api.SlotLogical && id.InRecovery && !id.LogicalSlotsOnStandby() {
		return status.Stall(api.ReasonUnsupported, fmt.Sprintf(
			"logical slots on a standby need PostgreSQL 16 or later; %s runs %s", sc.target.Addr(), id.Version)), nil
	}
	return nil, nil
}
