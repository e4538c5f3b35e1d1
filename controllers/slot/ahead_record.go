package slot

import (
	"context"
	"fmt"
	"slices"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// namedForRecreation: the slot is on the promoted member, this object has
// not recorded it there, and the PostgresServer's recreation record names
// it for this promotion. The operator created it ahead and stopped before
// this object's status said so.
func namedForRecreation(sc *slotScope, present bool) bool {
	t, st := sc.target, &sc.rs.Status
	if !present || sc.ps == nil || t == nil || t.Identity == nil || !t.IsPrimary() || !st.Owned || !seenBefore(sc.rs) {
		return false
	}
	rec := sc.ps.Status.Recreation
	if rec == nil || rec.Member != t.Addr() || rec.Timeline != t.Identity.Timeline {
		return false
	}
	if st.Host == rec.Member && st.ObservedTimeline == rec.Timeline {
		return false
	}
	return slices.Contains(rec.Slots, sc.name)
}

// recreatedAhead records a recreation the operator made ahead and did not
// get to record: as any recreation, with its data gap. The gap ends where
// the slot stands now; if its consumer has advanced it since, the gap
// shown is wider than the one lost, never narrower.
//
// The record names what the operator set out to create, not what it made:
// the bulk's CREATE can have found the name taken by a slot someone else
// made meanwhile. One that is not of the declared kind is never recorded
// as this object's creation.
func (r *Reconciler) recreatedAhead(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	row := sc.target.Slots[sc.name]
	if createdElsewhere(sc.holder) {
		// PostgreSQL lets one creation of a name succeed, and that
		// object's status says it was its own: the bulk's found the name
		// taken. Owning it too would let this object's deletion drop
		// that team's slot; leaving it can be undone.
		sc.rs.Status.Owned = false
		r.dropLoss(sc.rs)
		return status.Stall(api.ReasonConflict, fmt.Sprintf("a ReplicationSlot in another namespace created and manages slot %q "+
			"on this PostgreSQL cluster, which this object's recreation after the failover found taken; "+
			"slot names are shared by the whole cluster: give this object another slotName, or delete it", sc.name)), nil
	}
	if msg := mismatch(sc.rs, &row); msg != "" {
		return status.Stall(api.ReasonConflict, msg+"; it is not the one slotkeeper set out to recreate after the failover, "+
			"and slotkeeper never drops a slot it does not own: drop that slot yourself, or choose another slotName"), nil
	}
	return r.created(ctx, sc, r.lossBeforePromotion(sc), startOf(sc.rs, &row), &row)
}

// lossBeforePromotion is lossOf for a slot already recreated: the monitor's
// latest position for the name is the new slot's own, so only what was
// confirmed on the old timeline counts (as this process saw it, else as
// status recorded it).
func (r *Reconciler) lossBeforePromotion(sc *slotScope) loss {
	st := &sc.rs.Status
	seen := r.Monitor.ConfirmedBefore(sc.serverKey, sc.name, st.ObservedTimeline)
	return loss{reason: missingReason(sc), from: lastConfirmed(st.ConfirmedFlushLSN, seen), timeline: st.ObservedTimeline}
}
