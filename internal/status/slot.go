package status

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// SlotInputs is everything the conditions of a ReplicationSlot depend on.
type SlotInputs struct {
	Generation int64
	Outcome    Outcome
	// Observed is true when the slot's row was read in this reconcile; the
	// WAL figures below are meaningful only then.
	Observed  bool
	WALStatus string
	// InvalidationReason is why PostgreSQL invalidated the slot, as
	// status.invalidationReason holds it; wal_status is "lost" whatever the
	// cause.
	InvalidationReason string
	RetainedBytes      *int64
	BudgetBytes        *int64
	// SafeWALSizeBytes is how much more WAL may be written before the slot
	// is at risk (nil: no max_slot_wal_keep_size); HeldBack says what keeps
	// the slot from moving: its consumer, or since when it has none.
	SafeWALSizeBytes *int64
	HeldBack         string
	// Idle is when idle_replication_slot_timeout (18+) invalidates the
	// slot; nil when it cannot (IdleInvalidation).
	Idle *IdleDeadline
	// Gap is the unacknowledged window; Acknowledged hides it. GapNote
	// says who most likely dropped a slot that went missing.
	Gap          *api.DataGap
	Acknowledged bool
	GapNote      string
	// FailoverReady is the condition for a slot with spec.failover, nil
	// otherwise.
	FailoverReady *metav1.Condition
}

// SlotConditions returns the conditions for the inputs, keeping the
// transition times of conditions whose status did not change.
func SlotConditions(existing []metav1.Condition, in SlotInputs) []metav1.Condition {
	conds := clone(existing)
	applyOutcome(&conds, in.Generation, in.Outcome)
	setOrRemove(&conds, api.ConditionWALRetentionHealthy, walRetention(in))
	setOrRemove(&conds, api.ConditionDataGap, dataGap(in))
	setOrRemove(&conds, api.ConditionCreationBlocked, creationBlocked(conds, in))
	setOrRemove(&conds, api.ConditionFailoverReady, in.FailoverReady)
	return conds
}

// creationBlocked is True while a creation waits and turns False once it
// no longer does; it never appears for a creation that was never blocked.
func creationBlocked(conds []metav1.Condition, in SlotInputs) *metav1.Condition {
	if b := in.Outcome.Blocked; b != nil && b.Reason != "" {
		return &metav1.Condition{Status: metav1.ConditionTrue, Reason: b.Reason,
			Message: b.Message, ObservedGeneration: in.Generation}
	}
	for _, c := range conds {
		if c.Type == api.ConditionCreationBlocked {
			return &metav1.Condition{Status: metav1.ConditionFalse, Reason: api.ReasonNotBlocked,
				Message: "no creation is waiting", ObservedGeneration: in.Generation}
		}
	}
	return nil
}

func walRetention(in SlotInputs) *metav1.Condition {
	if !in.Observed {
		return nil
	}
	c := &metav1.Condition{Status: metav1.ConditionTrue, Reason: api.ReasonWithinBudget,
		ObservedGeneration: in.Generation}
	switch {
	case in.WALStatus == "lost":
		c.Status, c.Reason = metav1.ConditionFalse, api.ReasonLost
		c.Message = lostMessage(in.InvalidationReason)
	case in.WALStatus == "unreserved":
		c.Status, c.Reason = metav1.ConditionFalse, api.ReasonUnreserved
		c.Message = "the slot retains more WAL than max_slot_wal_keep_size allows and will be invalidated at the next checkpoint unless its consumer catches up" +
			heldBackSuffix(in)
	case in.RetainedBytes != nil && in.BudgetBytes != nil && *in.RetainedBytes > *in.BudgetBytes:
		c.Status, c.Reason = metav1.ConditionFalse, api.ReasonOverBudget
		c.Message = fmt.Sprintf("retains %s of WAL, over the budget of %s (spec.maxRetainedWAL)",
			FormatBytes(*in.RetainedBytes), FormatBytes(*in.BudgetBytes)) + safeWAL(in) + heldBackSuffix(in)
	case in.RetainedBytes != nil:
		c.Message = fmt.Sprintf("retains %s of WAL", FormatBytes(*in.RetainedBytes))
	}
	if c.Reason != api.ReasonLost {
		c.Message = withIdleNote(c.Message, in.Idle)
	}
	return c
}

// lostMessage says why a slot's WAL counts as lost: PostgreSQL reports
// wal_status "lost" for an invalidated slot whatever invalidated it, and
// only wal_removed means WAL it needed is gone.
func lostMessage(reason string) string {
	if reason == "" || reason == "wal_removed" {
		return "PostgreSQL removed WAL this slot needed; the slot is invalidated"
	}
	return fmt.Sprintf("the slot is invalidated (%s), so PostgreSQL reports its WAL as lost; the Ready condition says what to do", reason)
}

// heldBackSuffix appends what holds the slot's WAL back to a message.
func heldBackSuffix(in SlotInputs) string {
	if in.HeldBack == "" {
		return ""
	}
	return "; " + in.HeldBack
}

func safeWAL(in SlotInputs) string {
	if in.SafeWALSizeBytes == nil {
		return ""
	}
	return fmt.Sprintf("; %s more WAL until max_slot_wal_keep_size invalidates it", FormatBytes(max(*in.SafeWALSizeBytes, 0)))
}

func dataGap(in SlotInputs) *metav1.Condition {
	if in.Gap == nil || in.Acknowledged {
		return nil
	}
	reason := in.Gap.Reason
	if in.Gap.ConsumerAhead != nil {
		reason = api.ReasonConsumerAhead
	}
	return &metav1.Condition{Status: metav1.ConditionTrue, Reason: reason, Message: DataGapMessage(in.Gap) + in.GapNote,
		ObservedGeneration: in.Generation}
}

// DataGapMessage describes an unacknowledged window: every recreation in
// it, from the earliest lost position to the latest, and how to clear it.
func DataGapMessage(g *api.DataGap) string {
	msg := fmt.Sprintf("the slot was recreated (%s)", g.Reason)
	if g.Reason == api.ReasonConsumerAhead {
		msg = "the slot failed over to a standby its consumer had got ahead of"
	}
	if g.Recreations > 1 {
		msg = fmt.Sprintf("the slot was recreated %d times without an acknowledgement (latest: %s)", g.Recreations, g.Reason)
	}
	msg += fmt.Sprintf("; changes between %s and %s", OrUnknown(g.FromLSN), OrUnknown(g.ToLSN))
	if g.Bytes != nil {
		msg += fmt.Sprintf(" (%s of WAL)", FormatBytes(*g.Bytes))
	}
	msg += " were never decoded" + consumerAheadMessage(g.ConsumerAhead)
	return msg + fmt.Sprintf("; resynchronise the consumer, then set annotation %s=%s",
		api.AnnotationAcknowledgeDataGap, AckValue(g.At))
}

// OrUnknown names an LSN that may be unknown (empty) in a message.
func OrUnknown(lsn string) string {
	if lsn == "" {
		return "an unknown position"
	}
	return lsn
}
