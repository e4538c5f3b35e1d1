package slot

import (
	"context"
	"fmt"
	"time"

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
// somebody else's slot. The evidence is the operator's own sight of the
// slot missing, so nothing another namespace reports can fake it; it is
// kept in status.loss (loss_record.go), which only the operator writes, so
// that a restart in between does not forget it.

// lostSlot is an owned slot's loss as the operator saw it: the object, the
// member and timeline it was missing on, what its consumer stood at, whether
// a recreation under it may have made the slot that is there now (its
// CREATE is under way, or was cut after it was sent), since when the slot
// there has waited on another namespace's creation (waitSince), and since
// when the slot is gone (since).
type lostSlot struct {
	uid       types.UID
	member    string
	timeline  int64
	loss      loss
	uncertain bool
	waitSince time.Time
	// since is when the loss was first seen, to the second.
	since time.Time
}

// noteLost remembers that a read found the object's slot missing on its
// target, with no creation of this object's running. The first sighting's
// loss is kept: it carries the consumer's position from before. A sighting
// also settles an earlier uncertain attempt: it made no slot.
func (r *Reconciler) noteLost(sc *slotScope, l loss) {
	since := time.Now().Truncate(time.Second)
	if prev, ok := r.lostHere(sc); ok {
		l, since = prev.loss, prev.since
	}
	r.lost.Store(client.ObjectKeyFromObject(sc.rs),
		lostSlot{uid: sc.rs.UID, member: sc.target.Addr(), timeline: sc.target.Identity.Timeline, loss: l, since: since})
}

// noteLostTo remembers a loss that a creation learned of: its CREATE found
// the name taken, so the slot there is somebody else's, or its own drop of
// an invalidated slot is about to be followed by a creation. A loss noted
// already stays as it is: a name found taken settles nothing about an
// earlier attempt, whose own CREATE may be what took it.
func (r *Reconciler) noteLostTo(sc *slotScope, l loss) {
	if l.reason == "" || sc.target == nil || sc.target.Identity == nil {
		return
	}
	if _, ok := r.lostHere(sc); !ok {
		r.noteLost(sc, l)
	}
}

// lostHere returns the loss noted for this object on its current target
// and timeline.
func (r *Reconciler) lostHere(sc *slotScope) (lostSlot, bool) {
	l, ok := r.loadLoss(sc.rs)
	if !ok || sc.target == nil || sc.target.Identity == nil {
		return lostSlot{}, false
	}
	return l, l.member == sc.target.Addr() && l.timeline == sc.target.Identity.Timeline
}

// newcomerClaim says whose a slot is that was made again after this
// object lost it.
type newcomerClaim int

const (
	// claimOwn: this object's own recreation may have made it.
	claimOwn newcomerClaim = iota
	// claimHolder: another namespace's object owns it.
	claimHolder
	// claimWait: another namespace's object is creating the name, and
	// its CREATE may be what made the slot, or its owner is being deleted
	// and will drop or release it: what it does decides.
	claimWait
	// claimAdopt: it was made outside slotkeeper; the adoption rules say
	// whether this object takes it.
	claimAdopt
)

// judgeNewcomer decides the claim, given another namespace's owner and
// holder (either may be nil). That owner comes first, as it does for any
// object that does not own the slot (adopt), and even over this object's
// uncertain recreation: PostgreSQL let only one creation of the name
// succeed, and an owner's status says its own did. Giving up a claim
// leaves a slot in place; keeping a wrong one lets this object's deletion
// drop that team's slot. A holder still creating has not said yet (its
// status says Owned only once its CREATE returned), nor has an owner being
// deleted, so the claim is kept while they finish, for the grace at most:
// a creation mark left behind by a stopped operator, or kept up by a
// namespace that cuts its own CREATEs, must not cost this object its slot.
func judgeNewcomer(uncertain bool, owner, holder *api.ReplicationSlot, waited bool) newcomerClaim {
	pending := owner != nil || (holder != nil && !holderLeaving(holder))
	switch {
	case owner != nil && !holderLeaving(owner):
		return claimHolder
	case pending && !waited:
		return claimWait
	case uncertain:
		return claimOwn
	}
	return claimAdopt
}

// newcomer records the loss of the slot this object had, with its data
// gap, and settles who the slot now there belongs to. The loss stays noted
// until the status that tells it is written (told).
func (r *Reconciler) newcomer(ctx context.Context, sc *slotScope, lost lostSlot, row *postgres.Slot) (*status.Outcome, error) {
	claim := judgeNewcomer(lost.uncertain, sc.ownerElsewhere, sc.holder, r.waitedOnHolder(sc, lost))
	switch claim {
	case claimOwn:
		return r.created(ctx, sc, lost.loss, startOf(sc.rs, row), row)
	case claimWait:
		sc.row = nil
		o := status.Progress(api.ReasonCreating, fmt.Sprintf("slot %q was lost on %s and is there again while an object of "+
			"another namespace creates that name: waiting for its creation to say whose the slot is", sc.name, sc.target.Addr()))
		o.RetryAfter = 2 * time.Second
		return o, nil
	}
	sc.lossTold = true
	r.tellNewcomer(ctx, sc, lost.loss, startOf(sc.rs, row))
	r.giveUp(sc)
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

// giveUp drops the object's claim on a slot it did not make, and the
// intent with it: an object that is not creating must not count as
// creating for others (otherTeamHolder), nor take the slot for its own
// creation (adopt). What it recorded of its lost slot's creation goes too.
func (r *Reconciler) giveUp(sc *slotScope) {
	st := &sc.rs.Status
	st.Owned, st.Origin, st.CreatedAt, st.CreatedOnTimeline = false, "", nil, 0
}

// waitedOnHolder: the slot has waited the grace since it was first judged.
// The entry is swapped, not stored: a failover's bulk recreation may drop
// it meanwhile (dropLoss from another goroutine), and must not see it
// come back.
func (r *Reconciler) waitedOnHolder(sc *slotScope, lost lostSlot) bool {
	now := time.Now()
	if lost.waitSince.IsZero() {
		next := lost
		next.waitSince = now
		r.lost.CompareAndSwap(client.ObjectKeyFromObject(sc.rs), lost, next)
		return false
	}
	return now.Sub(lost.waitSince) >= holderGrace
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
	sc.announce("Warning", l.reason, record.ActionReconcile, "%s%s", lead, why)
}
