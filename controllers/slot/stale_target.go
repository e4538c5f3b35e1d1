package slot

// A former primary promoted again before slotkeeper dropped the slot it
// left there. The slot is left on the old primary at a failover and
// dropped once that member runs as a standby (left_behind.go); a second
// failover back to that member before the drop finds the old slot on the
// new primary. It is not the object's slot any more: it stands where its
// consumer stood before the first failover, the object gave it up then,
// and nothing kept it usable since (whether the member that was primary
// meanwhile held its catalog rows depends on hot_standby_feedback, which
// slotkeeper does not govern). Taking it would tell no data gap and count
// no recreation, so it is dropped and recreated like a slot the failover
// lost, with its gap: the same outcome as when the drop came first.

import (
	"context"
	"fmt"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// leftOnPromoted: a failover made the target primary on a later timeline
// than the one the slot was last seen on, and status.copies records the
// slot on the target as one this object left behind (Former). The
// timeline test keeps a split brain (the old primary never demoted, still
// on its own timeline) from counting: nothing is dropped then.
func leftOnPromoted(sc *slotScope, reason string) bool {
	st, t := &sc.rs.Status, sc.target
	if reason != api.ReasonFailover || t == nil || t.Identity == nil || !t.IsPrimary() {
		return false
	}
	c := status.FindCopy(st.Copies, t)
	return c != nil && c.Former && st.ObservedTimeline > 0 && t.Identity.Timeline > st.ObservedTimeline
}

// replaceStale drops the stale slot on the target and recreates it, with
// the gap from where its consumer last confirmed on the member it left.
// A held slot is never dropped: the object reports who holds it, and the
// slot's row stays out of status, so that status still names the member
// the slot was last this object's on and the next reconcile judges it the
// same way.
func (r *Reconciler) replaceStale(ctx context.Context, sc *slotScope, row *postgres.Slot) (*status.Outcome, error) {
	sc.row = nil
	st := &sc.rs.Status
	lead := fmt.Sprintf("slot %q on %s is the one left there when the slot failed over from it, and %s was promoted again "+
		"before slotkeeper dropped it: it is stale (timeline %d is newer than the %d the slot was last seen on at %s)",
		sc.name, sc.target.Addr(), sc.target.Addr(), sc.target.Identity.Timeline, st.ObservedTimeline, st.Host)
	if sc.holder != nil {
		return status.Retry(api.ReasonConflict, lead+"; it is not dropped while a ReplicationSlot of another namespace "+
			"manages or creates that name"), nil
	}
	if row.Active {
		who, _ := holder(sc, row)
		return status.Retry(api.ReasonSlotActive, lead+"; slotkeeper never drops an active slot, and drops and "+
			"recreates it once released: "+who), nil
	}
	if a := r.dropSilently(ctx, sc); a.o != nil {
		return a.o, nil
	}
	sc.event("Normal", "StaleSlotDropped", record.ActionDrop,
		"dropped slot %q on %s: the one left there at the failover from that member, stale since it was promoted again; recreating it",
		sc.name, sc.target.Addr())
	removeCopy(sc, sc.target.Endpoint)
	r.noteLostTo(sc, r.lossOf(sc, api.ReasonFailover, nil))
	return r.recreate(ctx, sc, api.ReasonFailover, nil)
}
