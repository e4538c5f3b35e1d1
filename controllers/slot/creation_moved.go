package slot

// A creation that runs on a member the object no longer targets: its
// spec.location changed, or the primary moved, while it ran.

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// creationMoved: the creation runs on a member that is not t.
func creationMoved(st creator.State, t *observation.Member) bool {
	return runsElsewhere(st, t.Host, t.Port)
}

// runsElsewhere: the creation runs on a member other than host:port (port
// 0 matches any, as in Snapshot.Member).
func runsElsewhere(st creator.State, host string, port int32) bool {
	return st.Host != "" && (st.Host != host || (port != 0 && st.Port != int(port)))
}

// mayHaveMade: the creation, ended, may have left a slot on its member: it
// made one, or it failed in a way that leaves open whether its statement
// went through. A creation cancelled while queued sent nothing, and a
// certain failure (the name taken by somebody else, say) made nothing: a
// slot there then must not count as this object's.
func mayHaveMade(st creator.State) bool {
	if st.Err == nil {
		return true
	}
	e := postgres.Classify(st.Err)
	return e != nil && e.Transient && e.SQLState == "" && !postgres.NeverSent(e)
}

// abandonCreation stops a creation whose member is no longer the target,
// why says what moved, and the creation begins again on the target. What
// the stopped one may have made there is recorded in a write of its own,
// to be dropped once released; should that write fail, the record stays
// in the reconcile's own status write.
func (r *Reconciler) abandonCreation(ctx context.Context, sc *slotScope, reason, why string) error {
	key := client.ObjectKeyFromObject(sc.rs)
	st, ok := r.Creator.Stop(key)
	if !ok {
		return nil
	}
	ep := observation.Endpoint{Host: st.Host, Port: int32(st.Port)}
	sc.event("Normal", reason, record.ActionCreate,
		"%s: stopped creating slot %q on %s; slotkeeper drops whatever that creation made there once it is released", why, sc.name, ep.Addr())
	if !mayHaveMade(st) {
		return nil
	}
	// It may have made the slot: the creation intent must stay whatever
	// the next attempt's fate (dropIntent).
	r.intentClean.Delete(key)
	rec := api.SlotCopy{Host: ep.Host, Port: ep.Port, Former: true}
	if err := r.writeCopy(ctx, sc, ep, &rec); err != nil {
		addCopy(sc, rec)
		return err
	}
	return nil
}

// followTarget stops the object's creation when it runs on a member that
// is not the target.
func (r *Reconciler) followTarget(ctx context.Context, sc *slotScope) error {
	st, busy := r.Creator.State(client.ObjectKeyFromObject(sc.rs))
	if !busy || !creationMoved(st, sc.target) {
		return nil
	}
	reason, why := api.ReasonFailover, "the primary is now "+sc.target.Addr()
	if loc := sc.rs.Spec.Location; loc != nil && loc.Role == api.LocationStandby {
		reason, why = api.ReasonRelocated, "spec.location now names "+sc.target.Addr()
	}
	return r.abandonCreation(ctx, sc, reason, why)
}

// targetOrLeave is resolveTarget, and when spec.location names a member
// that cannot hold the slot (not one of the server's, of another cluster,
// too old for a logical slot), it also stops a creation running on another
// member: the object stalls until the location is mended, and that
// creation must not make a slot meanwhile that no status records.
func (r *Reconciler) targetOrLeave(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	o, err := r.resolveTarget(ctx, sc)
	loc := sc.rs.Spec.Location
	if o == nil || o.Phase != status.Stalled || loc == nil || loc.Role != api.LocationStandby {
		return o, err
	}
	st, busy := r.Creator.State(client.ObjectKeyFromObject(sc.rs))
	if busy && runsElsewhere(st, loc.Host, loc.Port) {
		to := observation.Endpoint{Host: loc.Host, Port: loc.Port}.Addr()
		if err := r.abandonCreation(ctx, sc, api.ReasonRelocated, "spec.location now names "+to); err != nil {
			return nil, err
		}
	}
	return o, err
}

// syncedOnStandby stops an object whose standby target holds PostgreSQL's
// synchronized copy of the primary's failover slot under the name: the
// copy cannot be used for decoding on a standby, and PostgreSQL refuses to
// drop it there or to create another slot of its name, so slotkeeper can
// neither take it nor make one of its own beside it.
func syncedOnStandby(sc *slotScope) *status.Outcome {
	row, ok := sc.target.Slots[sc.name]
	if sc.target.IsPrimary() || !ok || !row.Synced {
		return nil
	}
	return status.Stall(api.ReasonConflict, fmt.Sprintf("slot %q on standby %s is PostgreSQL's synchronized copy of the primary's failover slot, "+
		"which cannot be used for decoding on a standby, nor dropped or replaced there: to keep this slot on that standby, "+
		"set spec.location back to the primary and spec.failover to false, wait until the copy is gone from %s, then move it again",
		sc.name, sc.target.Addr(), sc.target.Addr()))
}

// refuseMoveOnto stops a move onto a member that already has a slot of the
// name which is not this object's: it may be another team's, a consumer's
// or an HA manager's, and taking it would let this object's deletion drop
// it. The slot on the old member stays this object's, unrecorded as left
// behind, so its consumer loses nothing until the name is free.
func refuseMoveOnto(sc *slotScope) *status.Outcome {
	if old := memberByAddr(sc, sc.rs.Status.Host); old != nil {
		removeCopy(sc, observation.Endpoint{Host: old.Host, Port: old.Port})
	}
	sc.row = nil
	return status.Stall(api.ReasonConflict, fmt.Sprintf("spec.location moves slot %q to %s, which already has a slot of that name "+
		"that slotkeeper did not make for this object; the slot stays on %s: drop the one on %s, or give this object another location",
		sc.name, sc.target.Addr(), sc.rs.Status.Host, sc.target.Addr()))
}
