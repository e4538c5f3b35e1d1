// Package status computes the conditions of slotkeeper's objects. Everything
// here is a pure function of its inputs, so it is table-tested without a
// server, and follows kstatus: Ready is always present; Reconciling and
// Stalled are present only while True, never both, and Ready is False while
// either is.
package status

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Phase is the overall state of an object after a reconcile.
type Phase int

const (
	// Available: the object is what the spec asks for.
	Available Phase = iota
	// Progressing: work under way (creating, first probe, deleting).
	Progressing
	// Retrying: a transient failure (server unreachable); retried with backoff.
	Retrying
	// Stalled: needs a human (invalid spec, conflict, missing rights).
	Stalled
)

// Outcome is the overall result of a reconcile: a phase with a reason and
// a message a human can act on.
type Outcome struct {
	Phase   Phase
	Reason  string
	Message string
	// Blocked says what a waiting creation waits for (the CreationBlocked
	// condition); nil when no creation waits.
	Blocked *Blocked
	// Recheck: an action found the state other than it expected (a slot
	// name already taken), so the caller reads and judges the slot in the
	// same reconcile instead of reporting this outcome.
	Recheck bool
	// RetryAfter, when set, replaces the phase's requeue interval: a
	// wait whose end nothing announces, but which is expected soon.
	RetryAfter time.Duration
}

// Blocked is the reason and message of a waiting creation.
type Blocked struct {
	Reason, Message string
}

// applyOutcome sets Ready, Reconciling and Stalled for an outcome.
func applyOutcome(conds *[]metav1.Condition, gen int64, o Outcome) {
	set := func(t string, s metav1.ConditionStatus) {
		meta.SetStatusCondition(conds, metav1.Condition{
			Type: t, Status: s, Reason: o.Reason, Message: Clip(o.Message, MaxConditionMessage), ObservedGeneration: gen,
		})
	}
	switch o.Phase {
	case Available:
		set(api.ConditionReady, metav1.ConditionTrue)
		meta.RemoveStatusCondition(conds, api.ConditionReconciling)
		meta.RemoveStatusCondition(conds, api.ConditionStalled)
	case Progressing, Retrying:
		set(api.ConditionReady, metav1.ConditionFalse)
		set(api.ConditionReconciling, metav1.ConditionTrue)
		meta.RemoveStatusCondition(conds, api.ConditionStalled)
	case Stalled:
		set(api.ConditionReady, metav1.ConditionFalse)
		set(api.ConditionStalled, metav1.ConditionTrue)
		meta.RemoveStatusCondition(conds, api.ConditionReconciling)
	}
}

// setOrRemove sets a condition, or removes it when c is nil; used for
// abnormal-true conditions and for conditions that are unknown.
func setOrRemove(conds *[]metav1.Condition, t string, c *metav1.Condition) {
	if c == nil {
		meta.RemoveStatusCondition(conds, t)
		return
	}
	c.Type = t
	c.Message = Clip(c.Message, MaxConditionMessage)
	meta.SetStatusCondition(conds, *c)
}

// clone copies a condition list so the caller's slice is never changed.
func clone(in []metav1.Condition) []metav1.Condition {
	out := make([]metav1.Condition, len(in))
	copy(out, in)
	return out
}
