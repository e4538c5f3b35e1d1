package status

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The outcomes a reconcile phase stops at: still progressing, retrying
// after a transient failure, or stalled until something outside changes.

// Progress is work under way.
func Progress(reason, msg string) *Outcome {
	return &Outcome{Phase: Progressing, Reason: reason, Message: msg}
}

// Retry is a transient failure, retried with backoff.
func Retry(reason, msg string) *Outcome {
	return &Outcome{Phase: Retrying, Reason: reason, Message: msg}
}

// Stall waits for a human to change something.
func Stall(reason, msg string) *Outcome {
	return &Outcome{Phase: Stalled, Reason: reason, Message: msg}
}

// InvalidSpec is the Stalled outcome for a spec's problems (values stored
// before the CRD's rules refused them, or with validation off), nil
// without any: only this object stalls.
func InvalidSpec(problems []string) *Outcome {
	if len(problems) == 0 {
		return nil
	}
	return Stall(api.ReasonInvalidSpec, strings.Join(problems, "; ")+
		"; correct the value (kubectl edit), the rest of the object waits until then")
}

// ConditionOf is the condition of type t, or a zero condition.
func ConditionOf(conds []metav1.Condition, t string) metav1.Condition {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// ReadyOf is the Ready condition, or a zero condition.
func ReadyOf(conds []metav1.Condition) metav1.Condition {
	return ConditionOf(conds, api.ConditionReady)
}
