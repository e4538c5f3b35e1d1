package slot

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// Events. A phase does not record an Event itself: it notes it in the
// scope, and publish records every Event of the reconcile in one place,
// after the status write, on every path (an error included). The scope
// stands in for an EventRecorder, so internal/record's condition rules
// note theirs the same way.

// pendingEvent is an Event a phase decided on. announces: it tells that
// the slot is there (created, recreated or adopted), which makes a Ready
// Event in the same reconcile redundant.
type pendingEvent struct {
	kind, reason, action, note string
	announces                  bool
}

// Eventf notes an Event about the scope's object; regarding and related
// are ignored, the Event is always about that object.
func (sc *slotScope) Eventf(_, _ runtime.Object, kind, reason, action, note string, args ...any) {
	sc.events = append(sc.events, pendingEvent{kind: kind, reason: reason, action: action, note: fmt.Sprintf(note, args...)})
}

// event notes an Event about the scope's object.
func (sc *slotScope) event(kind, reason, action, note string, args ...any) {
	sc.Eventf(nil, nil, kind, reason, action, note, args...)
}

// announce notes an Event that tells the slot is there.
func (sc *slotScope) announce(kind, reason, action, note string, args ...any) {
	sc.event(kind, reason, action, note, args...)
	sc.events[len(sc.events)-1].announces = true
}

// announced: an Event of this reconcile tells the slot is there.
func (sc *slotScope) announced() bool {
	for _, e := range sc.events {
		if e.announces {
			return true
		}
	}
	return false
}

// publish records the Events the reconcile noted, in order.
func (r *Reconciler) publish(sc *slotScope) {
	for _, e := range sc.events {
		r.Recorder.Eventf(sc.rs, nil, e.kind, e.reason, e.action, "%s", e.note)
	}
	sc.events = nil
}
