package slot

import (
	"context"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
)

// staleFailoverSlot recognises, on a PostgreSQL 17+ standby, the failover
// slot a former primary kept: failover = true but not synced. It blocks the
// sync worker ("same name slot already exists") and is never what the
// consumer uses; a standby cannot create failover slots of its own.
func staleFailoverSlot(rs *api.ReplicationSlot, row *postgres.Slot) bool {
	return row.Failover && !row.Synced && mismatch(rs, row) == ""
}

// dropStale drops a former primary's leftover slot on a standby (or one a
// spec.location change left there): the primary's slot is the live one. A
// held slot is left and reported.
func (r *Reconciler) dropStale(ctx context.Context, sc *copyScope, m *observation.Member, row postgres.Slot, present bool) {
	if why := r.dropLeft(ctx, sc.slotScope, m, row, present); why != "" {
		sc.note(m, "the slot left here when the slot moved "+why)
		return
	}
	if present {
		r.nudgeSync(ctx, sc.slotScope, m)
	}
}

// dropCopy removes a copy slotkeeper made once failover is switched off.
// The copy is dropped whether or not the snapshot shows it yet (one made
// moments ago may not be in it); the record stays, and the drop is tried
// again, until the standby has no such slot.
func (r *Reconciler) dropCopy(ctx context.Context, sc *slotScope, m *observation.Member, rec *api.SlotCopy) {
	r.Creator.Cancel(copyKey(sc.rs, m.Endpoint))
	if rec == nil {
		return
	}
	dropped, err := r.dropOn(ctx, sc, m)
	if err != nil {
		return
	}
	if dropped {
		sc.event("Normal", "CopyDropped", record.ActionDrop,
			"dropped the copy of slot %q on standby %s (failover is off)", sc.name, m.Addr())
	}
	removeCopy(sc, m.Endpoint)
}

// dropOn drops the slot on one member and says whether there was one; a
// missing slot is no error.
func (r *Reconciler) dropOn(ctx context.Context, sc *slotScope, m *observation.Member) (bool, error) {
	pool, err := r.Conns.Pool(ctx, sc.serverKey, m.Endpoint, "")
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

// dropCopies drops, when the slot itself is dropped, every copy slotkeeper
// recorded on a standby and every slot it left behind on another member,
// and cancels copies still being created. A held one is never dropped.
func (r *Reconciler) dropCopies(ctx context.Context, sc *slotScope) {
	if sc.snap == nil {
		return
	}
	for _, m := range standbyMembers(sc.snap) {
		r.Creator.Cancel(copyKey(sc.rs, m.Endpoint))
	}
	// As in dropLeft: while another namespace's object manages or creates
	// the name, a slot of it elsewhere may be that object's by now.
	if _, _, rv, err := r.conflictWith(ctx, sc.rs); err != nil || rv.holder != nil {
		return
	}
	// A record follows its Pod here too: the object may be deleted before
	// a reconcile has moved it.
	copies, _ := followPods(sc.rs.Status.Copies, sc.snap)
	for _, c := range copies {
		m := clusterRecordMember(sc.snap, c)
		switch {
		case m == nil:
			leftWithObject(sc, c)
		case m.Slots != nil && (sc.target == nil || (m.Endpoint != sc.target.Endpoint && !observation.SameServer(m, sc.target))):
			_, _ = r.dropOn(ctx, sc, m)
		}
	}
}

// leftWithObject says that the deletion leaves the slot of record c in
// place: its member is not listed now (a Pod away, its address perhaps
// another Pod's), and the record goes with the object.
func leftWithObject(sc *slotScope, c api.SlotCopy) {
	sc.event("Warning", "SlotForgotten", record.ActionRelease,
		"slot %q on %s is not dropped with the object: the PostgresServer does not list that member now. If it still runs, "+
			"the slot is still there and keeps its WAL: drop it there by hand", sc.name, unlistedName(c))
}
