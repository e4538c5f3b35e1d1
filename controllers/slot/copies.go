package slot

import (
	"context"

	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Standby copies. For spec.failover slotkeeper keeps a copy of the slot on
// every standby where PostgreSQL does not: physical slots on every version
// (advanced to the primary's restart_lsn) and logical slots before
// PostgreSQL 17 (created on the standby, advanced to the primary's
// confirmed_flush_lsn). From 17 on PostgreSQL's slot sync worker keeps
// logical copies itself. Every copy slotkeeper makes is recorded in
// status.copies, and only recorded slots are ever changed or dropped on a
// standby; a former primary's slot is recorded at the failover, so that it
// is dropped once that member rejoins as a standby.

// copyReport is what the copies phase found for FailoverReady: per
// standby address, what keeps its copy from being ready, and why the
// failover property could not be switched.
type copyReport struct {
	notes    map[string]string
	flagNote string
}

// copyScope is the slot's scope in the copies phase, with the report the
// phase returns.
type copyScope struct {
	*slotScope
	report copyReport
}

// note says what keeps standby m's copy from being ready.
func (sc *copyScope) note(m *observation.Member, msg string) {
	if sc.report.notes == nil {
		sc.report.notes = map[string]string{}
	}
	sc.report.notes[m.Addr()] = msg
}

// syncStandbyCopies runs after the slot was found on the primary and
// returns what it found. Failures never fail the reconcile: FailoverReady
// reports them per standby.
func (r *Reconciler) syncStandbyCopies(ctx context.Context, slot *slotScope) copyReport {
	sc := &copyScope{slotScope: slot}
	if sc.row == nil || sc.target == nil || !sc.rs.Status.Owned {
		return sc.report
	}
	noteUnlisted(slot)
	r.dropLeftBehind(ctx, slot)
	if !sc.target.IsPrimary() {
		return sc.report
	}
	sc.report.flagNote = r.syncFailoverFlag(ctx, slot)
	for _, m := range standbyMembers(sc.snap) {
		r.syncStandby(ctx, sc, m)
	}
	markConsistent(slot)
	return sc.report
}

// standbyMembers are the standbys of the primary's cluster whose slots
// were listed: only on those does slotkeeper act.
func standbyMembers(snap *observation.Snapshot) []*observation.Member {
	var out []*observation.Member
	for _, m := range snap.Standbys() {
		if m.Slots != nil {
			out = append(out, m)
		}
	}
	return out
}

func (r *Reconciler) syncStandby(ctx context.Context, sc *copyScope, m *observation.Member) {
	ctx, cancel := context.WithTimeout(ctx, r.actionTimeout())
	defer cancel()
	row, present := m.Slots[sc.name]
	rec := status.FindCopy(sc.rs.Status.Copies, m)
	in := copies.Standby{Strategy: sc.strategy, Recorded: rec != nil, Former: rec != nil && rec.Former,
		Present: present, StaleFailover: present && staleFailoverSlot(sc.rs, &row), Creating: r.copyCreating(sc.slotScope, m),
		Unready: observation.SyncPending(sc.row, m)}
	switch copies.Decide(in) {
	case copies.DropStale:
		r.dropStale(ctx, sc, m, row, present)
	case copies.DropCopy:
		r.dropCopy(ctx, sc.slotScope, m, rec)
	case copies.ReportForeign:
		sc.note(m, foreignCopyNote(sc.slotScope))
	case copies.KeepPhysical:
		r.keepPhysicalCopy(ctx, sc, m, rec, row, present)
	case copies.KeepLogical:
		r.keepLogicalCopy(ctx, sc, m, rec, row, present)
	case copies.NudgeSync:
		r.nudgeSync(ctx, sc.slotScope, m)
		r.snapshotForSync(ctx, sc.slotScope, m)
	}
}
