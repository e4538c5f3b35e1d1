package slot

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
)

// keepPhysicalCopy creates the copy, or advances it to the primary's
// restart_lsn (never past what the standby has replayed; the monitor wakes
// the slot within a poll whenever that point moves ahead of the copy).
func (r *Reconciler) keepPhysicalCopy(ctx context.Context, sc *copyScope, m *observation.Member, rec *api.SlotCopy, row postgres.Slot, present bool) {
	pool, err := r.Conns.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err != nil {
		sc.note(m, "cannot connect: "+err.Error())
		return
	}
	switch {
	case rec == nil || rec.Pending:
		r.createPhysicalCopy(ctx, sc, m, pool, rec, present)
	case !present:
		r.forgetIfGone(ctx, sc.slotScope, m)
	default:
		if target, behind := observation.CopyBehind(sc.row, &row, m); behind {
			if _, err := postgres.AdvanceSlot(ctx, pool, sc.name, target); err != nil {
				sc.note(m, "cannot advance the copy: "+err.Error())
			}
		}
	}
}

// createPhysicalCopy records the copy as pending, then creates it. A
// pending record whose slot is already there is a copy made just before the
// operator stopped: it is taken as made.
func (r *Reconciler) createPhysicalCopy(ctx context.Context, sc *copyScope, m *observation.Member, pool *pgxpool.Pool, rec *api.SlotCopy, present bool) {
	if present {
		r.copyMade(sc.slotScope, m, api.SlotCopy{Host: m.Host, Port: m.Port}, "found the copy of slot %q on standby %s that slotkeeper made before it stopped")
		return
	}
	if rec == nil && !r.recordPending(ctx, sc, m) {
		return
	}
	_, err := postgres.CreatePhysicalSlot(ctx, pool, sc.name, true)
	if e := postgres.Classify(err); e != nil {
		if e.Reason != postgres.ReasonSlotExists || rec == nil {
			// Nothing was made; and a name taken now, with no pending
			// record from before this pass, is a slot slotkeeper did not
			// make.
			r.forgetPending(ctx, sc.slotScope, m, rec)
			noteCopyFailure(sc, m, e)
			return
		}
	}
	r.copyMade(sc.slotScope, m, api.SlotCopy{Host: m.Host, Port: m.Port}, "created a copy of slot %q on standby %s")
}

// copyMade records a finished copy in place of its pending record. The
// Event's format takes the slot and the standby first, then extra.
func (r *Reconciler) copyMade(sc *slotScope, m *observation.Member, c api.SlotCopy, format string, extra ...any) {
	addCopy(sc, c)
	sc.event("Normal", "CopyCreated", record.ActionCreate, format, append([]any{sc.name, m.Addr()}, extra...)...)
	r.Monitor.Refresh(sc.serverKey)
}

// recordPending writes the copy's record, marked pending, to the API
// server before the copy is made: once the copy exists, a crash before the
// reconcile's own status write must not leave it unrecorded, retaining WAL
// on the standby as a slot nobody owns.
//
// The snapshot can predate a slot made there by somebody else, and a
// pending record found with its slot is taken as slotkeeper's: the standby
// is read first, and a name in use there is reported, never recorded.
func (r *Reconciler) recordPending(ctx context.Context, sc *copyScope, m *observation.Member) bool {
	if r.nameTakenOn(ctx, sc, m) {
		return false
	}
	pending := api.SlotCopy{Host: m.Host, Port: m.Port, Pending: true}
	if err := r.writeCopy(ctx, sc.slotScope, m.Endpoint, &pending); err != nil {
		sc.note(m, "cannot record the copy before making it: "+err.Error())
		return false
	}
	return true
}

// forgetPending takes back the pending record of a copy that was not made,
// so that it never lingers to make a slot somebody else creates there look
// like slotkeeper's; the next attempt writes it again. rec is the record
// from before this pass: its removal goes with the reconcile's own status
// write. One this pass wrote is removed at once, since that write only
// carries what changed since the reconcile began.
func (r *Reconciler) forgetPending(ctx context.Context, sc *slotScope, m *observation.Member, rec *api.SlotCopy) {
	if rec != nil {
		removeCopy(sc, m.Endpoint)
		return
	}
	_ = r.writeCopy(ctx, sc, m.Endpoint, nil) // a failure leaves the record for the next pass
}

// nameTakenOn reads the standby for a slot of this name; a name in use, or
// a read that fails, is noted and counts as taken.
func (r *Reconciler) nameTakenOn(ctx context.Context, sc *copyScope, m *observation.Member) bool {
	row, err := r.readOn(ctx, sc.slotScope, m)
	switch {
	case err != nil:
		sc.note(m, "cannot read the standby before making the copy: "+err.Error())
		return true
	case row != nil:
		sc.note(m, foreignCopyNote(sc.slotScope))
		return true
	}
	return false
}
