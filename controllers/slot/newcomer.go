package slot

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// An owned slot that this object found missing on its member, by a read of
// its own, and that is there again without this object having made it, is
// not the slot it lost: somebody made the name again in between. A consumer
// that creates its own slot when it finds none (Debezium does), a person,
// an HA manager, or another namespace's object once the grace it leaves the
// holder has run out. Taking that slot for the survivor would tell no data
// gap, and keep the claim of an object whose deletion would then drop
// somebody else's slot. The evidence is this process's own sight of the
// slot missing, so nothing another namespace reports can fake it; an
// operator restart in between forgets it, and the slot is then taken for
// the survivor as before.

// lostSlot is an owned slot's loss as this process saw it: the object, the
// member and timeline it was missing on, what its consumer stood at, and
// whether a recreation under it ended uncertain (a CREATE cut after it was
// sent may have made the slot that is there now).
type lostSlot struct {
	uid       types.UID
	member    string
	timeline  int64
	loss      loss
	uncertain bool
}

// noteLost remembers that the object's slot was found missing on its
// target. The first sighting is kept: it carries the consumer's position
// from before the loss.
func (r *Reconciler) noteLost(sc *slotScope, l loss) {
	key := client.ObjectKeyFromObject(sc.rs)
	if prev, ok := r.lostHere(sc); ok {
		l = prev.loss
		if prev.uncertain {
			return
		}
	}
	r.lost.Store(key, lostSlot{uid: sc.rs.UID, member: sc.target.Addr(), timeline: sc.target.Identity.Timeline, loss: l})
}

// lostHere returns the loss noted for this object on its current target
// and timeline.
func (r *Reconciler) lostHere(sc *slotScope) (lostSlot, bool) {
	v, ok := r.lost.Load(client.ObjectKeyFromObject(sc.rs))
	if !ok || sc.target == nil || sc.target.Identity == nil {
		return lostSlot{}, false
	}
	l := v.(lostSlot)
	return l, l.uid == sc.rs.UID && l.member == sc.target.Addr() && l.timeline == sc.target.Identity.Timeline
}

// lostUncertain marks the noted loss: a recreation under it ended without
// knowing whether its CREATE made the slot.
func (r *Reconciler) lostUncertain(key types.NamespacedName) {
	if v, ok := r.lost.Load(key); ok {
		l := v.(lostSlot)
		l.uncertain = true
		r.lost.Store(key, l)
	}
}

// newcomerClaim says whose a slot is that was made again after this
// object lost it.
type newcomerClaim int

const (
	// claimOwn: this object's own recreation may have made it.
	claimOwn newcomerClaim = iota
	// claimHolder: another namespace's object owns it, or is creating it
	// and its creation may be what made it.
	claimHolder
	// claimAdopt: it was made outside slotkeeper; the adoption rules say
	// whether this object takes it.
	claimAdopt
)

// judgeNewcomer decides the claim. Another namespace's holder comes first,
// as it does for any object that does not own the slot (adopt), and even
// over this object's uncertain recreation: PostgreSQL let only one
// creation of the name succeed, and an owner's status says its own did. A
// holder still creating counts too: its status says Owned only after its
// CREATE returned, and the slot found here may be that CREATE's. Giving up
// a claim leaves a slot in place; keeping a wrong one lets this object's
// deletion drop that team's slot.
func judgeNewcomer(uncertain bool, holder *api.ReplicationSlot) newcomerClaim {
	switch {
	case holder != nil && !holderLeaving(holder):
		return claimHolder
	case uncertain:
		return claimOwn
	}
	return claimAdopt
}

// newcomer records the loss of the slot this object had, with its data
// gap, and settles who the slot now there belongs to.
func (r *Reconciler) newcomer(ctx context.Context, sc *slotScope, lost lostSlot, row *postgres.Slot) (*status.Outcome, error) {
	r.lost.Delete(client.ObjectKeyFromObject(sc.rs))
	start := startOf(sc.rs, row)
	claim := judgeNewcomer(lost.uncertain, sc.holder)
	if claim == claimOwn {
		return r.created(ctx, sc, lost.loss, start, row)
	}
	r.tellNewcomer(ctx, sc, lost.loss, start)
	// The claim goes with the intent: an object that is not creating must
	// not count as creating for others (otherTeamHolder), nor take the slot
	// for its own creation (adopt).
	sc.rs.Status.Owned, sc.rs.Status.Origin = false, ""
	if claim == claimHolder {
		sc.row = nil
		return status.Stall(api.ReasonConflict, fmt.Sprintf("slot %q was lost on %s (%s), and a ReplicationSlot in another namespace "+
			"has made it again since and manages it; slot names are shared by the whole cluster: give this object another slotName, or delete it",
			sc.name, sc.target.Addr(), lost.loss.reason)), nil
	}
	if o := r.adopt(sc); o != nil {
		sc.row = nil
		return o, nil
	}
	return nil, nil
}

// startOf is where a slot's consumer resumes: a logical slot's confirmed
// position, a physical slot's restart position.
func startOf(rs *api.ReplicationSlot, row *postgres.Slot) postgres.LSN {
	at := row.RestartLSN
	if rs.Spec.Type == api.SlotLogical {
		at = row.ConfirmedFlushLSN
	}
	if at == nil {
		return 0
	}
	return *at
}

// tellNewcomer records and announces the loss of a slot that somebody
// else made again: a logical slot's data gap ends where the new slot
// starts (wider than the loss if its consumer has moved it since, never
// narrower).
func (r *Reconciler) tellNewcomer(ctx context.Context, sc *slotScope, l loss, start postgres.LSN) {
	if l.reason == api.ReasonMissing {
		sc.rs.Status.Vanished++
	}
	lead := fmt.Sprintf("slot %q on %s was lost (%s) and made again by somebody else before slotkeeper could recreate it",
		sc.name, sc.target.Addr(), l.reason)
	why := status.VanishedNote(l.reason, haManagerOf(sc), sc.name)
	if sc.rs.Spec.Type == api.SlotLogical {
		r.recordLogicalGap(ctx, sc, l, start, lead, why)
		return
	}
	sc.announce("Warning", l.reason, record.ActionRecreate, "%s%s", lead, why)
}
