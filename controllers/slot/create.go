package slot

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// create creates a slot this object has never had.
func (r *Reconciler) create(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	if o := r.yieldToHolder(sc); o != nil {
		return o, nil
	}
	return r.startCreation(ctx, sc, loss{})
}

// recreate creates the slot again after it went missing or was invalidated.
// For a logical slot, changes between the last position its consumer
// confirmed and the new slot's start are lost: that window is recorded as a
// data gap, never hidden.
func (r *Reconciler) recreate(ctx context.Context, sc *slotScope, reason string, old *postgres.Slot) (*status.Outcome, error) {
	if reason == api.ReasonFailover && old == nil {
		if st, ok := r.recreateAhead(ctx, sc); ok {
			r.noteAttempt(sc)
			return r.followAhead(ctx, sc, st)
		}
	}
	return r.startCreation(ctx, sc, r.lossOf(sc, reason, old))
}

// lossOf is what a recreation of the slot loses: the changes after the
// last position its consumer confirmed (on the old slot when it is at
// hand, else as last seen), on the timeline it was confirmed on.
func (r *Reconciler) lossOf(sc *slotScope, reason string, old *postgres.Slot) loss {
	from := lastConfirmed(sc.rs.Status.ConfirmedFlushLSN, r.Monitor.LastConfirmed(sc.serverKey, sc.name))
	if old != nil && old.ConfirmedFlushLSN != nil {
		from = old.ConfirmedFlushLSN.String()
	}
	return loss{reason: reason, from: from, timeline: sc.rs.Status.ObservedTimeline}
}

// startCreation creates a physical slot at once (it never waits) and hands a
// logical one to the background creator.
func (r *Reconciler) startCreation(ctx context.Context, sc *slotScope, l loss) (*status.Outcome, error) {
	if err := r.recordCreationIntent(ctx, sc); err != nil {
		return nil, err
	}
	if err := r.recordAttempt(ctx, sc); err != nil {
		return nil, err
	}
	if sc.rs.Spec.Type == api.SlotLogical {
		return r.beginLogical(ctx, sc, l)
	}
	row, o := r.createPhysical(ctx, sc)
	if o != nil {
		return o, nil
	}
	return r.created(ctx, sc, l, startOf(sc.rs, row), row)
}

// created records a finished creation: ownership, the timeline, a data gap
// for a recreated logical slot, and the Event. row is the new slot's row
// when the creation read it, else it is read here.
func (r *Reconciler) created(ctx context.Context, sc *slotScope, l loss, start postgres.LSN, row *postgres.Slot) (*status.Outcome, error) {
	rs, reason := sc.rs, l.reason
	rs.Status.Owned, rs.Status.Origin = true, api.OriginCreated
	r.intentClean.Delete(client.ObjectKeyFromObject(rs))
	r.dropLoss(rs)
	r.noteCreated(sc)
	r.noteMade(sc)
	// The server's managed-slot count and the slot's own row come from the
	// monitor: have it look now.
	r.Monitor.Refresh(sc.serverKey)
	if reason == api.ReasonMissing {
		rs.Status.Vanished++
	}
	why := status.VanishedNote(reason, haManagerOf(sc), sc.name)
	switch {
	case reason == "":
		sc.announce("Normal", "Created", record.ActionCreate, "created %s slot %q on %s",
			rs.Spec.Type, sc.name, sc.target.Addr())
	case rs.Spec.Type == api.SlotLogical:
		rs.Status.Recreations++
		r.recordLogicalGap(ctx, sc, l, start, fmt.Sprintf("recreated slot %q on %s (%s)", sc.name, sc.target.Addr(), reason), why)
	default:
		rs.Status.Recreations++
		sc.announce("Warning", reason, record.ActionRecreate, "recreated physical slot %q on %s (%s)%s",
			sc.name, sc.target.Addr(), reason, why)
	}
	if row != nil {
		sc.row = row
		return nil, nil
	}
	return r.readBack(ctx, sc)
}

func (r *Reconciler) noteCreated(sc *slotScope) {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	sc.rs.Status.CreatedAt = &now
	sc.rs.Status.CreatedOnTimeline = sc.target.Identity.Timeline
}

// createPhysical creates a physical slot from the maintenance database and
// returns its row, read in the same round trip. Unlike a logical creation
// it never waits inside PostgreSQL, so it is bounded like a read: a new
// slot is created without a read first, and a batch of them on a server
// whose network black-holes must not hold every worker for the action
// timeout while slots of healthy servers wait.
func (r *Reconciler) createPhysical(ctx context.Context, sc *slotScope) (*postgres.Slot, *status.Outcome) {
	// The statement's own bound; status writes take the reconcile's ctx,
	// which a black-holed dial has not used up.
	actx, cancel := context.WithTimeout(ctx, min(r.actionTimeout(), r.readTimeout(sc)))
	defer cancel()
	pool, err := r.Conns.Pool(actx, sc.serverKey, sc.target.Endpoint, "")
	if err != nil {
		if err := r.dropIntent(ctx, sc); err != nil {
			return nil, status.Retry(api.ReasonError, err.Error())
		}
		return nil, errorOutcome(postgres.Classify(err), sc)
	}
	reserve := reservesWAL(sc.rs)
	row, err := postgres.CreatePhysicalSlotRow(actx, pool, sc.target.Identity.VersionNum, sc.name, reserve)
	if err == nil {
		r.saw(sc, time.Now(), row)
	}
	r.Monitor.Refresh(sc.serverKey)
	if e := postgres.Classify(err); e != nil {
		if err := r.forgetIntent(ctx, sc, e); err != nil {
			return nil, status.Retry(api.ReasonError, err.Error())
		}
		return nil, errorOutcome(e, sc)
	}
	return row, nil
}

// readBack reads the slot after an action so status shows it at once.
func (r *Reconciler) readBack(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	row, o := r.readSlot(ctx, sc)
	if o != nil {
		return o, nil
	}
	sc.row = row
	return nil, nil
}

// reservesWAL: a physical slot reserves WAL from its creation unless the
// spec says not to.
func reservesWAL(rs *api.ReplicationSlot) bool {
	return rs.Spec.ReserveWAL == nil || *rs.Spec.ReserveWAL
}
