package controllers

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
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

// syncStandbyCopies runs after the slot was found on the primary. Failures
// never fail the reconcile: FailoverReady reports them per standby.
func (r *ReplicationSlotReconciler) syncStandbyCopies(ctx context.Context, sc *slotScope) {
	if sc.row == nil || sc.target == nil || !sc.target.IsPrimary() || !sc.rs.Status.Owned {
		return
	}
	r.syncFailoverFlag(ctx, sc)
	for _, m := range standbyMembers(sc.snap) {
		r.syncStandby(ctx, sc, m)
	}
	pruneCopies(sc)
	markConsistent(sc)
}

// standbyMembers are the standbys of the primary's cluster whose slots
// were listed: only on those does slotkeeper act.
func standbyMembers(snap *monitor.Snapshot) []*monitor.Member {
	var out []*monitor.Member
	for _, m := range snap.Standbys() {
		if m.Slots != nil {
			out = append(out, m)
		}
	}
	return out
}

// copyKind says who keeps standby copies of this slot.
type copyKind int

const (
	copiesNone     copyKind = iota // no copies (failover off, or unsupported)
	copiesPhysical                 // slotkeeper, at the primary's restart_lsn
	copiesLogical                  // slotkeeper, at the primary's confirmed_flush_lsn (16)
	copiesNative                   // PostgreSQL's slot sync worker (17+)
)

func kindOf(sc *slotScope) copyKind {
	rs, v := sc.rs, sc.target.Identity.VersionNum
	switch {
	case !rs.Spec.Failover:
		return copiesNone
	case rs.Spec.Type == api.SlotPhysical:
		return copiesPhysical
	case v >= 170000:
		return copiesNative
	case v >= 160000:
		return copiesLogical
	}
	return copiesNone
}

func (r *ReplicationSlotReconciler) syncStandby(ctx context.Context, sc *slotScope, m *monitor.Member) {
	ctx, cancel := context.WithTimeout(ctx, r.actionTimeout())
	defer cancel()
	row, present := m.Slots[sc.name]
	rec := status.FindCopy(sc.rs.Status.Copies, m.Endpoint)
	kind := kindOf(sc)
	switch {
	case rec != nil && rec.Former:
		r.dropStale(ctx, sc, m, row, present)
	case kind == copiesNative:
		if present && staleFailoverSlot(sc.rs, &row) {
			r.dropStale(ctx, sc, m, row, present)
		}
	case kind == copiesNone:
		r.dropCopy(ctx, sc, m, rec)
	case rec == nil && present && !r.copyCreating(sc, m):
		sc.note(m, foreignCopyNote(sc))
	case kind == copiesPhysical:
		r.keepPhysicalCopy(ctx, sc, m, rec, row, present)
	default:
		r.keepLogicalCopy(ctx, sc, m, rec, row, present)
	}
}

// staleFailoverSlot recognises, on a PostgreSQL 17+ standby, the failover
// slot a former primary kept: failover = true but not synced. It blocks the
// sync worker ("same name slot already exists") and is never what the
// consumer uses; a standby cannot create failover slots of its own.
func staleFailoverSlot(rs *api.ReplicationSlot, row *postgres.Slot) bool {
	return row.Failover && !row.Synced && Mismatch(rs, row) == ""
}

// dropStale drops a former primary's leftover slot on a standby: the
// primary's slot is the live one. A held slot is left and reported.
func (r *ReplicationSlotReconciler) dropStale(ctx context.Context, sc *slotScope, m *monitor.Member, row postgres.Slot, present bool) {
	if present && row.Active {
		sc.note(m, "the former primary's slot here is still held (pid "+itoa(row.ActivePID)+"); slotkeeper drops it once released")
		return
	}
	if present {
		if _, err := r.dropOn(ctx, sc, m); err != nil {
			sc.note(m, "cannot drop the former primary's stale slot: "+err.Error())
			return
		}
		r.Recorder.Eventf(sc.rs, nil, "Normal", "StaleSlotDropped", actionDrop,
			"dropped the stale copy of slot %q that %s kept from when it was primary, so the standby follows the live slot", sc.name, m.Addr())
	}
	removeCopy(sc, m.Endpoint)
}

// dropCopy removes a copy slotkeeper made once failover is switched off.
// The copy is dropped whether or not the snapshot shows it yet (one made
// moments ago may not be in it); the record stays, and the drop is tried
// again, until the standby has no such slot.
func (r *ReplicationSlotReconciler) dropCopy(ctx context.Context, sc *slotScope, m *monitor.Member, rec *api.SlotCopy) {
	r.Creator.Cancel(copyKey(sc.rs, m.Endpoint))
	if rec == nil {
		return
	}
	dropped, err := r.dropOn(ctx, sc, m)
	if err != nil {
		return
	}
	if dropped {
		r.Recorder.Eventf(sc.rs, nil, "Normal", "CopyDropped", actionDrop,
			"dropped the copy of slot %q on standby %s (failover is off)", sc.name, m.Addr())
	}
	removeCopy(sc, m.Endpoint)
}

// dropOn drops the slot on one member and says whether there was one; a
// missing slot is no error.
func (r *ReplicationSlotReconciler) dropOn(ctx context.Context, sc *slotScope, m *monitor.Member) (bool, error) {
	pool, err := r.Monitor.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err == nil {
		err = postgres.DropSlotIf(ctx, pool, sc.name, declaredIdentity(sc.rs))
	}
	r.Monitor.Refresh(sc.serverKey)
	e := postgres.Classify(err)
	switch {
	case e == nil:
		return true, nil
	case e.Reason == postgres.ReasonSlotNotFound:
		return false, nil
	}
	return false, e
}

// keepPhysicalCopy creates the copy, or advances it to the primary's
// restart_lsn (never past what the standby has replayed).
func (r *ReplicationSlotReconciler) keepPhysicalCopy(ctx context.Context, sc *slotScope, m *monitor.Member, rec *api.SlotCopy, row postgres.Slot, present bool) {
	pool, err := r.Monitor.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err != nil {
		sc.note(m, "cannot connect: "+err.Error())
		return
	}
	switch {
	case rec == nil || rec.Pending:
		r.createPhysicalCopy(ctx, sc, m, pool, rec, present)
	case !present:
		r.forgetIfGone(ctx, sc, m)
	case sc.row.RestartLSN != nil:
		target := min(*sc.row.RestartLSN, m.Identity.WALPosition)
		if row.RestartLSN == nil || *row.RestartLSN < target {
			if _, err := postgres.AdvanceSlot(ctx, pool, sc.name, target); err != nil {
				sc.note(m, "cannot advance the copy: "+err.Error())
			}
		}
	}
}

// createPhysicalCopy records the copy as pending, then creates it. A
// pending record whose slot is already there is a copy made just before the
// operator stopped: it is taken as made.
func (r *ReplicationSlotReconciler) createPhysicalCopy(ctx context.Context, sc *slotScope, m *monitor.Member, pool *pgxpool.Pool, rec *api.SlotCopy, present bool) {
	if present {
		r.copyMade(sc, m, api.SlotCopy{Host: m.Host, Port: m.Port}, "found the copy of slot %q on standby %s that slotkeeper made before it stopped")
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
			r.forgetPending(ctx, sc, m, rec)
			noteCopyFailure(sc, m, e)
			return
		}
	}
	r.copyMade(sc, m, api.SlotCopy{Host: m.Host, Port: m.Port}, "created a copy of slot %q on standby %s")
}

// copyMade records a finished copy in place of its pending record. The
// Event's format takes the slot and the standby first, then extra.
func (r *ReplicationSlotReconciler) copyMade(sc *slotScope, m *monitor.Member, c api.SlotCopy, format string, extra ...any) {
	addCopy(sc, c)
	r.Recorder.Eventf(sc.rs, nil, "Normal", "CopyCreated", actionCreate, format, append([]any{sc.name, m.Addr()}, extra...)...)
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
func (r *ReplicationSlotReconciler) recordPending(ctx context.Context, sc *slotScope, m *monitor.Member) bool {
	if r.nameTakenOn(ctx, sc, m) {
		return false
	}
	pending := api.SlotCopy{Host: m.Host, Port: m.Port, Pending: true}
	if err := r.writeCopies(ctx, sc, append(withoutCopy(slices.Clone(sc.rs.Status.Copies), m.Endpoint), pending)); err != nil {
		sc.note(m, "cannot record the copy before making it: "+err.Error())
		return false
	}
	addCopy(sc, pending)
	return true
}

// forgetPending takes back the pending record of a copy that was not made,
// so that it never lingers to make a slot somebody else creates there look
// like slotkeeper's; the next attempt writes it again. rec is the record
// from before this pass: its removal goes with the reconcile's own status
// write. One this pass wrote is removed at once, since that write only
// carries what changed since the reconcile began.
func (r *ReplicationSlotReconciler) forgetPending(ctx context.Context, sc *slotScope, m *monitor.Member, rec *api.SlotCopy) {
	if rec != nil {
		removeCopy(sc, m.Endpoint)
		return
	}
	if r.writeCopies(ctx, sc, withoutCopy(slices.Clone(sc.rs.Status.Copies), m.Endpoint)) == nil {
		removeCopy(sc, m.Endpoint)
	}
}

// nameTakenOn reads the standby for a slot of this name; a name in use, or
// a read that fails, is noted and counts as taken.
func (r *ReplicationSlotReconciler) nameTakenOn(ctx context.Context, sc *slotScope, m *monitor.Member) bool {
	row, err := r.readOn(ctx, sc, m)
	switch {
	case err != nil:
		sc.note(m, "cannot read the standby before making the copy: "+err.Error())
		return true
	case row != nil:
		sc.note(m, foreignCopyNote(sc))
		return true
	}
	return false
}

// writeCopies patches status.copies alone, from a copy of the object, so
// the reconcile's other changes wait for its own write as usual.
func (r *ReplicationSlotReconciler) writeCopies(ctx context.Context, sc *slotScope, copies []api.SlotCopy) error {
	obj := sc.rs.DeepCopy()
	base := obj.DeepCopy()
	obj.Status.Copies = copies
	return r.Status().Patch(ctx, obj, client.MergeFrom(base))
}

// foreignCopyNote: the standby has a slot of this name nobody recorded as a
// copy; slotkeeper leaves it alone.
// Under CloudNativePG that slot is most likely its own copy of the
// primary's physical slot (replicationSlots.synchronizeReplicas), which it
// would make again after a drop: say so instead of fighting it.
func foreignCopyNote(sc *slotScope) string {
	return status.ForeignCopyNote(haManagerOf(sc))
}

// noteCopyFailure says why a copy could not be made (e is not nil). A name already taken
// is a slot slotkeeper did not make (one made moments ago may not be in the
// snapshot yet).
func noteCopyFailure(sc *slotScope, m *monitor.Member, e *postgres.Error) {
	if e.Reason == postgres.ReasonSlotExists {
		sc.note(m, foreignCopyNote(sc))
		return
	}
	sc.note(m, "cannot create the copy: "+e.Error())
}

// forgetIfGone forgets a recorded copy the snapshot does not list, once a
// direct read confirms it is gone (dropped behind slotkeeper's back): the
// snapshot can predate the copy's creation. The next pass makes it again.
func (r *ReplicationSlotReconciler) forgetIfGone(ctx context.Context, sc *slotScope, m *monitor.Member) {
	if row, err := r.readOn(ctx, sc, m); err == nil && row == nil {
		removeCopy(sc, m.Endpoint)
	}
}

// readOn reads the slot straight from one member (nil when absent).
func (r *ReplicationSlotReconciler) readOn(ctx context.Context, sc *slotScope, m *monitor.Member) (*postgres.Slot, error) {
	pool, err := r.Monitor.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err != nil {
		return nil, err
	}
	return postgres.GetSlot(ctx, pool, m.Identity.VersionNum, sc.name)
}

func copyKey(rs *api.ReplicationSlot, ep monitor.Endpoint) types.NamespacedName {
	return types.NamespacedName{Namespace: rs.Namespace, Name: rs.Name + "@" + ep.Addr()}
}

func addCopy(sc *slotScope, c api.SlotCopy) {
	removeCopy(sc, monitor.Endpoint{Host: c.Host, Port: c.Port})
	sc.rs.Status.Copies = append(sc.rs.Status.Copies, c)
}

func removeCopy(sc *slotScope, ep monitor.Endpoint) {
	sc.rs.Status.Copies = withoutCopy(sc.rs.Status.Copies, ep)
}

// withoutCopy is copies without the record of the copy on ep; nil when
// none is left.
func withoutCopy(copies []api.SlotCopy, ep monitor.Endpoint) []api.SlotCopy {
	copies = slices.DeleteFunc(copies, func(c api.SlotCopy) bool {
		return c.Host == ep.Host && c.Port == ep.Port
	})
	if len(copies) == 0 {
		return nil
	}
	return copies
}

// markConsistent records the copies the consumer has confirmed past, in
// the same pass that FailoverReady judges them ready, so the record a
// failover reads never lags the condition.
func markConsistent(sc *slotScope) {
	confirmed := sc.row.ConfirmedFlushLSN
	for i := range sc.rs.Status.Copies {
		c := &sc.rs.Status.Copies[i]
		start, err := postgres.ParseLSN(c.StartLSN)
		if c.StartLSN != "" && err == nil && confirmed != nil && *confirmed >= start {
			c.Consistent = true
		}
	}
}

// pruneCopies forgets records of members the server no longer lists.
func pruneCopies(sc *slotScope) {
	sc.rs.Status.Copies = slices.DeleteFunc(sc.rs.Status.Copies, func(c api.SlotCopy) bool {
		for _, m := range sc.snap.Members {
			if m.Host == c.Host && m.Port == c.Port {
				return false
			}
		}
		return true
	})
	if len(sc.rs.Status.Copies) == 0 {
		sc.rs.Status.Copies = nil
	}
}

// dropCopies drops, when the slot itself is dropped, every copy slotkeeper
// recorded on a standby, and cancels copies still being created.
func (r *ReplicationSlotReconciler) dropCopies(ctx context.Context, sc *slotScope) {
	if sc.snap == nil {
		return
	}
	for _, m := range standbyMembers(sc.snap) {
		r.Creator.Cancel(copyKey(sc.rs, m.Endpoint))
		if status.FindCopy(sc.rs.Status.Copies, m.Endpoint) != nil {
			_, _ = r.dropOn(ctx, sc, m)
		}
	}
}
