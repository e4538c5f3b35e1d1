package slot

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// ensureSlot makes the slot exist on the target and be this object's: it
// creates a missing slot, adopts a matching one, and refuses anything else.
func (r *Reconciler) ensureSlot(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	t := sc.target
	if t.Slots == nil {
		return status.Retry(api.ReasonServerUnavailable, fmt.Sprintf("cannot list slots on %s: %v", t.Addr(), t.SlotsErr)), nil
	}
	r.Monitor.Track(sc.serverKey, sc.name, client.ObjectKeyFromObject(sc.rs), budgetOf(sc.rs))
	_, present := t.Slots[sc.name]
	if err := r.followTarget(ctx, sc); err != nil {
		return nil, err
	}
	if o := syncedOnStandby(sc); o != nil {
		return o, nil
	}
	st, busy := r.Creator.State(client.ObjectKeyFromObject(sc.rs))
	_, lost := r.lostHere(sc)
	// A loss this process noted is judged by it (newcomer): the record
	// names what the bulk set out to create, not what it made.
	named := !busy && !lost && namedForRecreation(sc, present)
	// A slot recreated ahead, or made again by somebody else after this
	// object found it missing, is present but new: the copies' rules for a
	// slot that survived the failover do not apply to it.
	r.moveHost(ctx, sc, present && !(busy && st.Ahead) && !named && !lost)
	if aheadUnfailed(st, busy) {
		return r.followAhead(ctx, sc, st)
	}
	if busy && !r.retryCreation(sc, st) {
		return r.followCreation(ctx, sc, st)
	}
	if named {
		return r.recreatedAhead(ctx, sc)
	}
	return r.ensureListed(ctx, sc)
}

// aheadUnfailed: the object's creation is a failover's bulk recreation
// that has not failed, so the slot on the target is that recreation's.
func aheadUnfailed(st creator.State, ok bool) bool {
	return ok && st.Ahead && st.Err == nil
}

// ensureListed ensures the slot from what the snapshot lists: an owned
// slot listed is checked, any other slot listed is judged on a read, and
// a slot not listed is created or looked for.
func (r *Reconciler) ensureListed(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	if row, ok := sc.target.Slots[sc.name]; ok && sc.rs.Status.Owned {
		return r.ensurePresent(ctx, sc, &row)
	} else if ok {
		// Adoption is judged on a direct read: the snapshot can predate
		// the drop of a slot whose owner is gone from the cache by now.
		return r.ensureRead(ctx, sc)
	}
	if firstCreation(sc.rs) {
		// Creating is its own check: PostgreSQL refuses a name in use, and
		// only then is the slot read and judged like any existing one. A
		// batch of new slots saves a round trip each.
		if o, err := r.create(ctx, sc); err != nil || o == nil || !o.Recheck {
			return o, err
		}
	}
	return r.ensureRead(ctx, sc)
}

// ensureRead ensures the slot from a direct read. The snapshot can predate
// a change (our own creation, for one): it is confirmed before creating or
// declaring the slot lost.
func (r *Reconciler) ensureRead(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	row, o := r.readSlot(ctx, sc)
	if o != nil {
		return o, nil
	}
	if st, ok := r.Creator.State(client.ObjectKeyFromObject(sc.rs)); aheadUnfailed(st, ok) && row != nil {
		// The read found the slot a failover's bulk recreation made after
		// this reconcile looked at the creator: it is that recreation's,
		// to be recorded with its gap, not a survivor.
		return r.followAhead(ctx, sc, st)
	}
	if row != nil {
		return r.ensurePresent(ctx, sc, row)
	}
	if sc.rs.Status.Owned && seenBefore(sc.rs) {
		reason := missingReason(sc)
		r.noteLost(sc, r.lossOf(sc, reason, nil))
		return r.recreate(ctx, sc, reason, nil)
	}
	return r.create(ctx, sc)
}

// missingReason says why an owned slot that was seen before is gone: a
// failover, or an invalidation when it was last seen invalidated (its
// recreation after the drop failed, say because wal_level was too low, and
// this is a later attempt), else it went missing.
func missingReason(sc *slotScope) string {
	if locationChanged(sc.rs) {
		return api.ReasonRelocated
	}
	st, id := &sc.rs.Status, sc.target.Identity
	reason := status.GapReason(st.Host, st.ObservedTimeline, sc.target.Addr(), id.Timeline)
	if reason == "Missing" && st.InvalidationReason != "" {
		return api.ReasonInvalidated
	}
	return reason
}

// firstCreation: a slot the object has never had.
func firstCreation(rs *api.ReplicationSlot) bool {
	return !(rs.Status.Owned && seenBefore(rs))
}

// seenBefore reports whether this object has observed its slot; only then
// is a missing slot a loss rather than a slot still to be created.
func seenBefore(rs *api.ReplicationSlot) bool {
	return rs.Status.RestartLSN != "" || rs.Status.ConfirmedFlushLSN != "" || rs.Status.CreatedAt != nil
}

// ensurePresent checks that an existing slot is the one the spec asks for,
// adopts it if allowed, and handles invalidation.
func (r *Reconciler) ensurePresent(ctx context.Context, sc *slotScope, row *postgres.Slot) (*status.Outcome, error) {
	row, o := r.createdRow(ctx, sc, row)
	if o != nil {
		return o, nil
	}
	if sc.movedOnto {
		return refuseMoveOnto(sc), nil
	}
	lost, isLost := r.lostHere(sc)
	isLost = isLost && sc.rs.Status.Owned
	if isLost {
		fresh, o, err := r.rereadLost(ctx, sc, lost)
		if fresh == nil {
			return o, err
		}
		row = fresh
	}
	sc.row = row
	if o := refuseMismatch(sc, row); o != nil {
		return o, nil
	}
	if sc.staleOnTarget {
		return r.replaceStale(ctx, sc, row)
	}
	if isLost {
		return r.newcomer(ctx, sc, lost, row)
	}
	if !sc.rs.Status.Owned {
		if o := r.adopt(sc); o != nil {
			sc.row = nil
			return o, nil
		}
	}
	if Invalidated(row) {
		return r.handleInvalidated(ctx, sc, row)
	}
	return nil, nil
}

// rereadLost reads a slot this process saw lost: the snapshot can predate
// the loss, and only a read after it tells a slot made again from the one
// that went. A slot still gone is recreated, and its outcome returned.
func (r *Reconciler) rereadLost(ctx context.Context, sc *slotScope, lost lostSlot) (*postgres.Slot, *status.Outcome, error) {
	fresh, o := r.readSlot(ctx, sc)
	if o != nil {
		return nil, o, nil
	}
	if fresh == nil {
		r.noteLost(sc, lost.loss)
		o, err := r.recreate(ctx, sc, lost.loss.reason, nil)
		return nil, o, err
	}
	return fresh, nil, nil
}

// refuseMismatch stops at a slot of the name that is not of the declared
// kind.
func refuseMismatch(sc *slotScope, row *postgres.Slot) *status.Outcome {
	msg := mismatch(sc.rs, row)
	if msg == "" {
		return nil
	}
	sc.row = nil // not our slot: report none of its figures
	return status.Stall(api.ReasonConflict, msg+"; slotkeeper never drops a slot it does not own: choose another slotName or drop that slot yourself")
}

// createdRow is the slot's row once no creation is under way in it: a
// snapshot may predate the end of our own creation, so the slot is looked
// at again; a creation elsewhere stops the reconcile with its outcome.
func (r *Reconciler) createdRow(ctx context.Context, sc *slotScope, row *postgres.Slot) (*postgres.Slot, *status.Outcome) {
	if inProgressElsewhere(sc.rs, row) == nil {
		return row, nil
	}
	fresh, o := r.readSlot(ctx, sc)
	if o != nil {
		return nil, o
	}
	if fresh == nil {
		return nil, status.Progress(api.ReasonCreating, "the slot disappeared while being created; looking again")
	}
	if o := inProgressElsewhere(sc.rs, fresh); o != nil {
		return nil, o
	}
	return fresh, nil
}

// readSlot reads the slot straight from the target member.
func (r *Reconciler) readSlot(ctx context.Context, sc *slotScope) (*postgres.Slot, *status.Outcome) {
	ctx, cancel := context.WithTimeout(ctx, r.readTimeout(sc))
	defer cancel()
	pool, err := r.Conns.Pool(ctx, sc.serverKey, sc.target.Endpoint, "")
	if err != nil {
		return nil, errorOutcome(postgres.Classify(err), sc)
	}
	row, err := postgres.GetSlot(ctx, pool, sc.target.Identity.VersionNum, sc.name)
	if err != nil {
		return nil, errorOutcome(postgres.Classify(err), sc)
	}
	if row != nil {
		r.saw(sc, time.Now(), row)
	}
	return row, nil
}
