package status

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// ServerInputs is everything the conditions of a PostgresServer depend on.
type ServerInputs struct {
	Generation int64
	Outcome    Outcome
	// SplitBrain lists the members that claim the primary role, when more
	// than one does.
	SplitBrain []string
	// Missing lists unmet prerequisites, each a sentence saying what to do;
	// PrerequisitesKnown is false until the primary has been probed.
	Missing            []string
	PrerequisitesKnown bool
	// FailoverMissing lists, per standby, the slot-sync settings that
	// failover slots of this server need.
	FailoverMissing []string
	// UnmanagedRetention is the UnmanagedWALRetentionHealthy condition;
	// nil keeps the last one while the primary's slots are unknown.
	UnmanagedRetention *metav1.Condition
	// HACoverage is the HAManagerCoversSlots condition; it is applied
	// only when HAObserved (nil then removes it).
	HACoverage *metav1.Condition
	HAObserved bool
}

// ServerConditions returns the conditions for the inputs.
func ServerConditions(existing []metav1.Condition, in ServerInputs) []metav1.Condition {
	conds := clone(existing)
	applyOutcome(&conds, in.Generation, in.Outcome)
	setOrRemove(&conds, api.ConditionSplitBrain, splitBrain(in))
	setOrRemove(&conds, api.ConditionPrerequisitesMet, prerequisites(in))
	if in.UnmanagedRetention != nil {
		setOrRemove(&conds, api.ConditionUnmanagedWALRetentionHealthy, in.UnmanagedRetention)
	}
	if in.HAObserved {
		setOrRemove(&conds, api.ConditionHAManagerCoversSlots, in.HACoverage)
	}
	return conds
}

func splitBrain(in ServerInputs) *metav1.Condition {
	if len(in.SplitBrain) < 2 {
		return nil
	}
	return &metav1.Condition{Status: metav1.ConditionTrue, Reason: api.ReasonSplitBrain,
		ObservedGeneration: in.Generation,
		Message: "more than one member is not in recovery: " + strings.Join(in.SplitBrain, ", ") +
			"; slotkeeper makes no changes until only one primary remains"}
}

func prerequisites(in ServerInputs) *metav1.Condition {
	if !in.PrerequisitesKnown {
		return nil
	}
	switch {
	case len(in.Missing) > 0:
		return &metav1.Condition{Status: metav1.ConditionFalse, Reason: api.ReasonPrerequisitesMissing,
			ObservedGeneration: in.Generation, Message: strings.Join(append(in.Missing, in.FailoverMissing...), "; ")}
	case len(in.FailoverMissing) > 0:
		return &metav1.Condition{Status: metav1.ConditionFalse, Reason: api.ReasonFailoverPrerequisites,
			ObservedGeneration: in.Generation, Message: "failover slots: " + strings.Join(in.FailoverMissing, "; ")}
	}
	return &metav1.Condition{Status: metav1.ConditionTrue, Reason: api.ReasonAllPrerequisitesMet,
		ObservedGeneration: in.Generation, Message: "the primary and the role meet every prerequisite"}
}
