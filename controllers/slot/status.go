package slot

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// setSlotStatus folds what the phases found (the outcome, the copies
// report) with the observation into status and the reconcile's Events.
func (r *Reconciler) setSlotStatus(sc *slotScope, o status.Outcome, rep copyReport) {
	rs := sc.rs
	old := status.ReadyOf(rs.Status.Conditions)
	rs.Status.SlotName = sc.name
	if o.Blocked == nil && !r.creating(rs) {
		rs.Status.Blockers, rs.Status.OtherBlockers = nil, 0
	}
	if sc.row != nil {
		observeRow(rs, sc.target, sc.row)
		if rs.Status.Consumer != nil {
			_, rs.Status.Consumer.Stale = holder(sc, sc.row)
		}
	}
	oldBlocked := status.ConditionOf(rs.Status.Conditions, api.ConditionCreationBlocked)
	oldRetention := status.ConditionOf(rs.Status.Conditions, api.ConditionWALRetentionHealthy)
	applyGapAck(rs)
	in := slotInputs(rs, o, sc.row)
	in.Idle = idleDeadline(sc)
	if in.Gap != nil {
		in.GapNote = status.VanishedNote(in.Gap.Reason, haManagerOf(sc), sc.name)
	}
	in.FailoverReady, rs.Status.Standbys = failoverReady(sc, rep)
	rs.Status.Conditions = status.SlotConditions(rs.Status.Conditions, in)
	rs.Status.ObservedGeneration = rs.Generation
	cur := status.ReadyOf(rs.Status.Conditions)
	record.Transition(sc, rs, old, cur, record.Quiet(old, cur, o.Phase, sc.announced()))
	record.Blocked(sc, rs, oldBlocked, status.ConditionOf(rs.Status.Conditions, api.ConditionCreationBlocked))
	record.Retention(sc, rs, oldRetention, status.ConditionOf(rs.Status.Conditions, api.ConditionWALRetentionHealthy))
	publishMetrics(rs, sc)
}

// failoverReady evaluates spec.failover against the latest snapshot; only
// a slot observed on the primary can be judged.
func failoverReady(sc *slotScope, rep copyReport) (*metav1.Condition, []api.StandbySlot) {
	rs := sc.rs
	// The condition is there for every slot with spec.failover, judged
	// False while there is no primary to read the strategy from.
	if !rs.Spec.Failover || sc.snap == nil {
		return nil, nil
	}
	var row *postgres.Slot
	if sc.target != nil && sc.target.IsPrimary() {
		row = sc.row
	}
	return status.FailoverReady(status.FailoverInputs{Generation: rs.Generation, Strategy: sc.strategy,
		Name: sc.name, Snapshot: sc.snap, Row: row, Copies: rs.Status.Copies, Notes: rep.notes, FlagNote: rep.flagNote})
}

// idleDeadline is when idle_replication_slot_timeout (18+) invalidates
// the slot on the member holding it; nil when it cannot.
func idleDeadline(sc *slotScope) *status.IdleDeadline {
	if sc.row == nil || sc.target == nil {
		return nil
	}
	return status.IdleInvalidation(sc.row, sc.target.Identity)
}

func (r *Reconciler) creating(rs *api.ReplicationSlot) bool {
	st, ok := r.Creator.State(client.ObjectKeyFromObject(rs))
	return ok && !st.Done
}

func slotInputs(rs *api.ReplicationSlot, o status.Outcome, row *postgres.Slot) status.SlotInputs {
	in := status.SlotInputs{Generation: rs.Generation, Outcome: o,
		Observed: row != nil, WALStatus: rs.Status.WALStatus, InvalidationReason: rs.Status.InvalidationReason,
		RetainedBytes:    rs.Status.RetainedWALBytes,
		SafeWALSizeBytes: rs.Status.SafeWALSizeBytes, HeldBack: holderSummary(&rs.Status)}
	if b, ok := rs.Spec.MaxRetainedWAL.Bytes(); ok {
		in.BudgetBytes = &b
	}
	rec, open := status.Acknowledge(gapRecord(rs), rs.Annotations[api.AnnotationAcknowledgeDataGap])
	in.Gap, in.Acknowledged = rec.Window, !open
	return in
}

// budgetOf is spec.maxRetainedWAL in bytes, 0 without one: what the
// monitor wakes the object for when the slot's retention crosses it.
func budgetOf(rs *api.ReplicationSlot) int64 {
	b, _ := rs.Spec.MaxRetainedWAL.Bytes()
	return b
}
