package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Event actions, the verb part of events.k8s.io Events.
const (
	actionReconcile = "Reconcile"
	actionCreate    = "Create"
	actionAdopt     = "Adopt"
	actionRecreate  = "Recreate"
	actionDrop      = "Drop"
	actionRelease   = "Release"
)

// progressReasons are Ready=False reasons that are expected steps, not
// problems: they produce Normal Events.
var progressReasons = map[string]bool{
	api.ReasonCreating: true, api.ReasonProgressing: true, api.ReasonDeleting: true,
}

func readyOf(conds []metav1.Condition) metav1.Condition {
	return conditionOf(conds, api.ConditionReady)
}

func conditionOf(conds []metav1.Condition, t string) metav1.Condition {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// emitBlocked records one Event when a creation starts to wait, naming what
// it waits for and whether self-heal is on.
func emitBlocked(rec events.EventRecorder, obj runtime.Object, old, cur metav1.Condition) {
	if rec == nil || cur.Status != metav1.ConditionTrue || old.Status == metav1.ConditionTrue {
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, cur.Reason, actionCreate, "%s", cur.Message)
}

// emitRetention records a Warning Event when WALRetentionHealthy turns
// False or changes reason, and a Normal one when it recovers.
func emitRetention(rec events.EventRecorder, obj runtime.Object, old, cur metav1.Condition) {
	if rec == nil || cur.Type == "" || (old.Status == cur.Status && old.Reason == cur.Reason) {
		return
	}
	if cur.Status == metav1.ConditionTrue {
		if old.Type != "" {
			rec.Eventf(obj, nil, corev1.EventTypeNormal, cur.Reason, actionReconcile, "WAL retention back within budget: %s", cur.Message)
		}
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, cur.Reason, actionReconcile, "%s", cur.Message)
}

// emitTransition records an Event when Ready changes status or reason, so
// `kubectl events` tells the story of an object without reading its status.
func emitTransition(rec events.EventRecorder, obj runtime.Object, old, cur metav1.Condition, quiet bool) {
	if rec == nil || quiet || (old.Status == cur.Status && old.Reason == cur.Reason) {
		return
	}
	kind := corev1.EventTypeWarning
	if cur.Status == metav1.ConditionTrue || progressReasons[cur.Reason] {
		kind = corev1.EventTypeNormal
	}
	rec.Eventf(obj, nil, kind, cur.Reason, actionReconcile, "Ready=%s: %s", cur.Status, cur.Message)
}

// quietTransition says which Ready transitions tell nothing an Event of
// their own does not: an object's first state when it is only a step under
// way (a new slot being created, a server being probed), and Ready=True in
// the reconcile that announced the slot as Created or Adopted. Each Event is
// an API write; with a thousand slots applied at once these were two of a
// slot's seven.
func quietTransition(old, cur metav1.Condition, phase status.Phase, announced bool) bool {
	first := old.Type == ""
	return (first && phase == status.Progressing) || (announced && cur.Status == metav1.ConditionTrue)
}
