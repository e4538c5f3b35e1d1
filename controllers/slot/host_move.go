package slot

// A cluster failover moved the slot to another host: the copies follow,
// and an unready copy's gap is recorded.

import (
	"context"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// moveHost records a failover for the copies: the new primary's copy is
// now the slot itself, and the old primary's slot is stale, to be dropped
// once that member rejoins as a standby. For a PostgreSQL 16 logical copy
// the consumer must have confirmed past the copy's start before the
// failover; if it had not, the changes in between were never decoded, and
// that is recorded as a data gap.
//
// A spec.location that names another member moves the slot there: the one
// it leaves is recorded the same way, to be dropped once released. A slot
// already on the new member is this object's only when status.copies says
// so (a copy it kept, or one it left there before) or this process made
// it, or status.loss says a recreation of its own there may have (the
// newcomer rules then judge it); any other stops the move (refuseMoveOnto).
// A failover onto a member that still holds the slot this object left
// there before is no survivor: that slot is stale (stale_target.go).
func (r *Reconciler) moveHost(ctx context.Context, sc *slotScope, present bool) {
	st := &sc.rs.Status
	if st.Host == sc.target.Addr() {
		r.madeOn.Delete(client.ObjectKeyFromObject(sc.rs))
	}
	if !st.Owned || st.Host == "" || st.Host == sc.target.Addr() || aliasOfTarget(sc, st.Host) {
		return
	}
	reason := missingReason(sc)
	sc.movedOnto = reason == api.ReasonRelocated && !recordedOn(sc, sc.target) && !r.madeHere(sc) && !r.attemptedHere(sc)
	sc.staleOnTarget = present && leftOnPromoted(sc, reason) && !r.madeHere(sc)
	if sc.staleOnTarget {
		// Its record stays until the slot is dropped (replaceStale).
		leaveBehind(sc, st.Host)
		return
	}
	if present && sc.target.IsPrimary() {
		r.survivorAhead(ctx, sc)
	}
	if c := status.FindCopy(st.Copies, sc.target); c != nil && !c.Former && !c.Consistent && present {
		row := sc.target.Slots[sc.name]
		if start := copyStart(c, &row); start != "" {
			r.unreadyCopyGap(sc, start, reason)
		}
		// Told once: the record stays until status shows the slot here.
		c.Consistent = true
	}
	if sc.target.IsPrimary() && reason != api.ReasonRelocated {
		removeCopy(sc, sc.target.Endpoint)
	}
	if sc.target.IsPrimary() || reason == api.ReasonRelocated {
		leaveBehind(sc, st.Host)
	}
}

// locationChanged: spec.location names another member than the one the
// slot was last seen for (status.location; unknown before the slot was
// first seen with it recorded).
func locationChanged(rs *api.ReplicationSlot) bool {
	return rs.Status.Location != "" && rs.Status.Location != locationOf(rs)
}

// locationOf is spec.location as status.location records it.
func locationOf(rs *api.ReplicationSlot) string {
	loc := rs.Spec.Location
	if loc == nil || loc.Role != api.LocationStandby {
		return string(api.LocationPrimary)
	}
	if loc.Port == 0 {
		return loc.Host
	}
	return observation.Endpoint{Host: loc.Host, Port: loc.Port}.Addr()
}

// aliasOfTarget: the member status names is the target under another
// address (hosts lists it twice): nothing moved.
func aliasOfTarget(sc *slotScope, addr string) bool {
	old := memberByAddr(sc, addr)
	return old != nil && observation.SameServer(sc.snap.ClusterMember(old.Host, old.Port), sc.target)
}

// copyStart is where a logical copy began decoding: as recorded, or for a
// copy made but still pending (the operator stopped before recording it)
// where it stands, since slotkeeper advances only recorded copies.
func copyStart(c *api.SlotCopy, row *postgres.Slot) string {
	if c.Pending && row != nil && row.ConfirmedFlushLSN != nil {
		return row.ConfirmedFlushLSN.String()
	}
	return c.StartLSN
}

func (r *Reconciler) unreadyCopyGap(sc *slotScope, start, reason string) {
	from := sc.rs.Status.ConfirmedFlushLSN
	to, err := postgres.ParseLSN(start)
	if f, ferr := postgres.ParseLSN(from); err != nil || (ferr == nil && f >= to) {
		return
	}
	recordGap(sc.rs, newGap(reason, from, to))
	verb := "failed over"
	if reason == api.ReasonRelocated {
		verb = "moved"
	}
	sc.event("Warning", api.ConditionDataGap, record.ActionRecreate,
		"%s to %s before its copy of slot %q was consistent: changes from %s to %s were never decoded",
		verb, sc.target.Addr(), sc.name, from, start)
}

func memberByAddr(sc *slotScope, addr string) *api.SlotCopy {
	for _, m := range sc.snap.Members {
		if m.Addr() == addr {
			return &api.SlotCopy{Host: m.Host, Port: m.Port}
		}
	}
	return nil
}

// survivorAhead checks a logical slot that survived the failover through
// its copy: when its consumer had confirmed past the point where the new
// timeline forked, it holds changes the new primary never received, and
// resuming from its own position it skips the new primary's changes up to
// there. Both are recorded, as for a recreated slot.
func (r *Reconciler) survivorAhead(ctx context.Context, sc *slotScope) {
	st := &sc.rs.Status
	tl := st.ObservedTimeline
	if sc.rs.Spec.Type != api.SlotLogical || tl == 0 || tl == sc.target.Identity.Timeline {
		return
	}
	confirmed := r.Monitor.ConfirmedBefore(sc.serverKey, sc.name, tl)
	if confirmed == nil {
		return
	}
	f := r.fork(ctx, sc, tl)
	if !f.Known || *confirmed <= f.At {
		return
	}
	g := status.FailoverGap(*newGap(api.ReasonConsumerAhead, confirmed.String(), *confirmed), f, *confirmed)
	recordGap(sc.rs, &g)
	sc.event("Warning", api.ReasonConsumerAhead, record.ActionRecreate,
		"failed over to %s, whose timeline forked at %s, after the consumer of slot %q had confirmed up to %s on timeline %d: "+
			"the new primary never received those changes, and a consumer resuming from its position skips the new primary's changes up to there",
		sc.target.Addr(), f.At, sc.name, confirmed, tl)
}
