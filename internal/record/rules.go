// Package record holds the rules for the Events slotkeeper records: which
// condition changes make an Event, of which type and action, and the bound
// on every note.
package record

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Event actions, the verb part of events.k8s.io Events.
const (
	ActionReconcile = "Reconcile"
	ActionCreate    = "Create"
	ActionAdopt     = "Adopt"
	ActionRecreate  = "Recreate"
	ActionDrop      = "Drop"
	ActionRelease   = "Release"
)

// progressReasons are Ready=False reasons that are expected steps, not
// problems: they produce Normal Events.
var progressReasons = map[string]bool{
	api.ReasonCreating: true, api.ReasonProgressing: true, api.ReasonDeleting: true,
}

// Blocked records one Event when a creation starts to wait, naming what
// it waits for and whether self-heal is on.
func Blocked(rec events.EventRecorder, obj runtime.Object, old, cur metav1.Condition) {
	if rec == nil || cur.Status != metav1.ConditionTrue || old.Status == metav1.ConditionTrue {
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, cur.Reason, ActionCreate, "%s", cur.Message)
}

// Retention records a Warning Event when WALRetentionHealthy turns
// False or changes reason, and a Normal one when it recovers.
func Retention(rec events.EventRecorder, obj runtime.Object, old, cur metav1.Condition) {
	if rec == nil || cur.Type == "" || (old.Status == cur.Status && old.Reason == cur.Reason) {
		return
	}
	if cur.Status == metav1.ConditionTrue {
		if old.Type != "" {
			rec.Eventf(obj, nil, corev1.EventTypeNormal, cur.Reason, ActionReconcile, "WAL retention back within budget: %s", cur.Message)
		}
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, cur.Reason, ActionReconcile, "%s", cur.Message)
}

// Transition records an Event when Ready changes status or reason, so
// `kubectl events` tells the story of an object without reading its status.
func Transition(rec events.EventRecorder, obj runtime.Object, old, cur metav1.Condition, quiet bool) {
	if rec == nil || quiet || (old.Status == cur.Status && old.Reason == cur.Reason) {
		return
	}
	kind := corev1.EventTypeWarning
	if cur.Status == metav1.ConditionTrue || progressReasons[cur.Reason] {
		kind = corev1.EventTypeNormal
	}
	rec.Eventf(obj, nil, kind, cur.Reason, ActionReconcile, "Ready=%s: %s", cur.Status, cur.Message)
}

// Quiet says which Ready transitions tell nothing an Event of
// their own does not: an object's first state when it is only a step under
// way (a new slot being created, a server being probed), and Ready=True in
// the reconcile that announced the slot as Created or Adopted. Each Event is
// an API write; with a thousand slots applied at once these were two of a
// slot's seven.
func Quiet(old, cur metav1.Condition, phase status.Phase, announced bool) bool {
	first := old.Type == ""
	return (first && phase == status.Progressing) || (announced && cur.Status == metav1.ConditionTrue)
}
