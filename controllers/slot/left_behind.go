package slot

// A slot left behind on a member the object no longer targets. A failover
// leaves the old primary's slot; a change of spec.location leaves the slot
// on the member it named before, and a creation that was running there
// when it changed may leave one too. Each is this object's, so each is
// recorded in status.copies as Former and dropped once nobody holds it:
// a slot nobody owns keeps its WAL until the disk is full.

import (
	"context"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// leaveBehind records the slot on the member status names as its host,
// when that member is still one of the server's and not the target.
func leaveBehind(sc *slotScope, addr string) {
	if old := memberByAddr(sc, addr); old != nil && addr != sc.target.Addr() {
		addCopy(sc, api.SlotCopy{Host: old.Host, Port: old.Port, Former: true})
	}
}

// creationMoved: the creation runs on a member that is no longer the
// object's target (spec.location changed while it ran).
func creationMoved(st creator.State, t *observation.Member) bool {
	return st.Host != "" && (st.Host != t.Host || st.Port != int(t.Port))
}

// abandonCreation stops a creation whose member is no longer the target.
// It may have made the slot there already, or be making it as it is
// cancelled: that member is recorded, so whatever is there is dropped
// once released, and the creation starts again on the target.
func (r *Reconciler) abandonCreation(sc *slotScope, st creator.State, to string) {
	key := client.ObjectKeyFromObject(sc.rs)
	r.Creator.Cancel(key)
	// Cancelled, it may or may not have made the slot: the creation
	// intent must stay whatever the next attempt's fate (dropIntent).
	r.intentClean.Delete(key)
	ep := observation.Endpoint{Host: st.Host, Port: int32(st.Port)}
	addCopy(sc, api.SlotCopy{Host: st.Host, Port: int32(st.Port), Former: true})
	sc.event("Normal", api.ReasonRelocated, record.ActionCreate,
		"spec.location now names %s: stopped creating slot %q on %s, which drops whatever it made there once released",
		to, sc.name, ep.Addr())
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
	if busy && st.Host != "" && (st.Host != loc.Host || (loc.Port != 0 && st.Port != int(loc.Port))) {
		r.abandonCreation(sc, st, observation.Endpoint{Host: loc.Host, Port: loc.Port}.Addr())
	}
	return o, err
}

// dropLeftBehind drops the slots left behind on members the copies phase
// does not visit. With the primary as target it visits every standby, so
// only a record of the target itself is left here: the slot is that one
// now. With a standby as target there are no copies, so every record of
// another member is a slot left behind: the old member's, or a copy kept
// while the slot was on the primary, which nothing advances any more.
func (r *Reconciler) dropLeftBehind(ctx context.Context, sc *slotScope) {
	for _, c := range slices.Clone(sc.rs.Status.Copies) {
		ep := observation.Endpoint{Host: c.Host, Port: c.Port}
		m := sc.snap.Member(c.Host, c.Port)
		switch {
		case ep == sc.target.Endpoint:
			removeCopy(sc, ep)
		case sc.target.IsPrimary():
		case m == nil:
			removeCopy(sc, ep)
		case m.Slots != nil:
			row, present := m.Slots[sc.name]
			_ = r.dropLeft(ctx, sc, m, row, present)
		}
	}
}

// dropLeft drops the slot left on member m unless somebody holds it, and
// forgets the record once the member has no such slot. It returns what
// keeps the slot there ("" once it is gone), which the Ready message adds.
func (r *Reconciler) dropLeft(ctx context.Context, sc *slotScope, m *observation.Member, row postgres.Slot, present bool) string {
	if !present {
		// The snapshot can predate the slot: one made moments before the
		// move, or by the creation the move abandoned.
		read, err := r.readOn(ctx, sc, m)
		if err != nil {
			return r.leftNote(sc, m, "cannot be read: "+err.Error())
		}
		if read != nil {
			row, present = *read, true
		}
	}
	if present && row.Active {
		return r.leftNote(sc, m, "is still held (pid "+itoa(row.ActivePID)+"): slotkeeper drops it once released")
	}
	if present {
		if _, err := r.dropOn(ctx, sc, m); err != nil {
			return r.leftNote(sc, m, "cannot be dropped yet: "+err.Error())
		}
		sc.event("Normal", "StaleSlotDropped", record.ActionDrop,
			"dropped slot %q on %s, left there when the slot moved to %s (a failover, or spec.location)",
			sc.name, m.Addr(), sc.target.Addr())
	}
	removeCopy(sc, m.Endpoint)
	return ""
}

func (r *Reconciler) leftNote(sc *slotScope, m *observation.Member, why string) string {
	sc.leftNote = "; the slot it left on " + m.Addr() + " " + why
	return why
}
