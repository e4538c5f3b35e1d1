package slot

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// A deletion drops its slot, then removes its finalizer. Between the two
// another namespace's object may create a slot of the same name and kind
// (the name is free again), and a deletion that ran its drop a second
// time (the finalizer's removal failed, or the operator restarted) would
// drop that team's slot. So a deletion drops at most once: this process
// remembers the answer of its DROP, and status.dropSentAt, written before
// the DROP is sent, tells a later process (or this one, when the answer
// never came) that a drop may have happened.

// dropState is what this process knows of a deletion's DROP.
type dropState int

const (
	dropNone    dropState = iota // this process sent none
	dropSent                     // sent; no answer came back
	dropDone                     // the slot was dropped, or was not there
	dropNothing                  // certainly nothing dropped: refused, or never sent
	dropLeft                     // a slot of the name was left in place (planLeave)
)

// dropPlan is what a deletion does about a slot of its name.
type dropPlan int

const (
	planDrop  dropPlan = iota // drop it, after the usual checks
	planSkip                  // dropped already: a slot of the name now is not this object's
	planLeave                 // a drop may have happened: leave a slot of the name in place
)

// planDeletionDrop decides from what this process knows of the deletion's
// DROP and whether status.dropSentAt is set. What the process knows wins:
// its cache may still show a record it has cleared. Without that
// knowledge, a record is a DROP whose answer nobody has.
func planDeletionDrop(known dropState, recorded bool) dropPlan {
	switch {
	case known == dropDone, known == dropLeft:
		return planSkip
	case known == dropSent, known == dropNone && recorded:
		return planLeave
	}
	return planDrop
}

// dropOnce carries out the plan for the deletion's slot and remembers the
// outcome until the finalizer is removed. left is true when a slot of the
// name was left in place for fear it is another object's.
func (r *Reconciler) dropOnce(ctx context.Context, sc *slotScope) (o *status.Outcome, left bool) {
	known := r.dropKnown(sc.rs)
	if plan := planDeletionDrop(known, sc.rs.Status.DropSentAt != nil); plan != planSkip {
		o, known = r.dropPlanned(ctx, sc, plan)
	}
	if known != dropNone {
		r.drops.Store(client.ObjectKeyFromObject(sc.rs), dropMemo{uid: sc.rs.UID, state: known})
	}
	return o, known == dropLeft
}

// dropMemo is what this process knows of one object's deletion DROP. It
// is kept by object key until the object has left the cache (Reconcile's
// not-found branch), not merely until the finalizer's removal: a reconcile
// that still runs on the cached object must not drop again.
type dropMemo struct {
	uid   types.UID
	state dropState
}

func (r *Reconciler) dropKnown(rs *api.ReplicationSlot) dropState {
	if v, ok := r.drops.Load(client.ObjectKeyFromObject(rs)); ok && v.(dropMemo).uid == rs.UID {
		return v.(dropMemo).state
	}
	return dropNone
}

// recordGone writes the record for a deletion that finds no slot to drop:
// from then on a slot of the name is another object's, also for a process
// that starts after this one.
func (r *Reconciler) recordGone(ctx context.Context, sc *slotScope) (*status.Outcome, dropState) {
	if err := r.recordDropSent(ctx, sc); err != nil {
		return orError(nil, err), dropNone
	}
	return nil, dropDone
}

func (r *Reconciler) recordDropSent(ctx context.Context, sc *slotScope) error {
	now := metav1.NewTime(time.Now())
	return r.writeAhead(ctx, sc, func(st *api.ReplicationSlotStatus) { st.DropSentAt = &now })
}

// sendDrop records status.dropSentAt, then drops, and says what this
// process now knows. A refusal clears the record again, so that a later
// process drops as usual instead of leaving the slot.
func (r *Reconciler) sendDrop(ctx context.Context, sc *slotScope) (*status.Outcome, dropState) {
	if err := r.recordDropSent(ctx, sc); err != nil {
		// The record may have been stored all the same; this process knows
		// no DROP went out, and its next attempt drops as usual.
		return orError(nil, err), dropNothing
	}
	a := r.drop(ctx, sc)
	switch {
	case a.unsure:
		return a.o, dropSent
	case a.o != nil && !a.replaced:
		// A failed clearing leaves the record: a later process then leaves
		// the slot in place rather than drop it, the safe mistake.
		_ = r.writeAhead(ctx, sc, func(st *api.ReplicationSlotStatus) { st.DropSentAt = nil })
		return a.o, dropNothing
	case a.o == nil:
		r.dropCopies(ctx, sc)
	}
	return nil, dropDone // replaced: not this object's slot any more
}

// leaveInPlace leaves a slot of the name where it is, for a deletion
// whose DROP may have happened: the slot may be one another object
// created since.
func leaveInPlace(sc *slotScope) dropState {
	sent := "earlier"
	if t := sc.rs.Status.DropSentAt; t != nil {
		sent = "at " + t.UTC().Format(time.RFC3339)
	}
	sc.event("Warning", "Released", record.ActionRelease, "%s", fmt.Sprintf(
		"slot %q on %s left in place: this deletion sent its DROP %s and never learned whether it went through "+
			"(the operator restarted or the connection broke), so the slot of that name there now may be another object's; "+
			"if it is this object's, drop it by hand", sc.name, sc.target.Addr(), sent))
	return dropLeft
}
