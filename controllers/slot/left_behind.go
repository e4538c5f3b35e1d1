package slot

// A slot left behind on a member the object no longer targets. A failover
// leaves the old primary's slot; a change of spec.location leaves the slot
// on the member it named before, and a creation that was running there
// when it changed may leave one too (creation_moved.go). Each is this
// object's, so each is recorded in status.copies as Former and dropped
// once nobody holds it: a slot nobody owns keeps its WAL until the disk is
// full.

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// leaveBehind records the slot on the member status names as its host,
// when that member is still listed, unless it answers as another cluster's
// or as the target under another address. A member that does not answer
// is recorded: a former primary is most often down, or restarting as a
// standby, when its failover is first seen, and its slot must be dropped
// once it is back.
func leaveBehind(sc *slotScope, addr string) {
	old := memberByAddr(sc, addr)
	if old == nil {
		return
	}
	m := sc.snap.Member(old.Host, old.Port)
	if m.Identity != nil && (m.Identity.SystemIdentifier != sc.snap.SystemIdentifier || observation.SameServer(m, sc.target)) {
		return
	}
	addCopy(sc, api.SlotCopy{Host: old.Host, Port: old.Port, Former: true})
}

// recordedOn: status.copies says the slot on member m is this object's (a
// copy it keeps, or one it left there).
func recordedOn(sc *slotScope, m *observation.Member) bool {
	return status.FindCopy(sc.rs.Status.Copies, m) != nil
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
		m := clusterRecordMember(sc.snap, c)
		switch {
		case status.RecordOf(c, sc.target) || observation.SameServer(m, sc.target):
			removeCopy(sc, ep)
		case sc.target.IsPrimary():
		case m == nil:
			// Unreachable, no longer the cluster's, or no longer listed
			// (noteUnlisted): the record waits.
		case m.Slots != nil:
			row, present := m.Slots[sc.name]
			_ = r.dropLeft(ctx, sc, m, row, present)
		}
	}
}

// dropLeft drops the slot left on member m unless somebody holds it, and
// forgets the record once the member has no such slot, or once another
// namespace's object has recorded the slot there as its own (it adopted
// it). While another namespace's object owns or creates the name
// anywhere, nothing is dropped: the slot may be that object's by now. It
// returns what keeps the slot there ("" once it is gone), which the Ready
// message adds.
func (r *Reconciler) dropLeft(ctx context.Context, sc *slotScope, m *observation.Member, row postgres.Slot, present bool) string {
	if o := sc.ownerElsewhere; o != nil && o.Status.Host == m.Addr() {
		removeCopy(sc, m.Endpoint)
		return ""
	}
	if sc.holder != nil {
		return r.leftNote(sc, m, "is not dropped while a ReplicationSlot of another namespace manages or creates that name")
	}
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

// leftNote adds to the Ready message what keeps a slot left on m there.
func (r *Reconciler) leftNote(sc *slotScope, m *observation.Member, why string) string {
	sc.leftNote += "; the slot it left on " + m.Addr() + " " + why
	return why
}

// madeSlot is where this process created an object's slot.
type madeSlot struct {
	uid      types.UID
	member   string
	timeline int64
}

// noteMade remembers that this process created the slot on the target.
func (r *Reconciler) noteMade(sc *slotScope) {
	r.madeOn.Store(client.ObjectKeyFromObject(sc.rs),
		madeSlot{uid: sc.rs.UID, member: sc.target.Addr(), timeline: sc.target.Identity.Timeline})
}

// madeHere: this process created the object's slot on its target, on
// the target's timeline.
func (r *Reconciler) madeHere(sc *slotScope) bool {
	v, ok := r.madeOn.Load(client.ObjectKeyFromObject(sc.rs))
	return ok && v.(madeSlot) == madeSlot{uid: sc.rs.UID, member: sc.target.Addr(), timeline: sc.target.Identity.Timeline}
}

// formerRecords are the status.copies entries of slots left behind.
func formerRecords(rs *api.ReplicationSlot) []api.SlotCopy {
	var out []api.SlotCopy
	for _, c := range rs.Status.Copies {
		if c.Former {
			out = append(out, c)
		}
	}
	return out
}
