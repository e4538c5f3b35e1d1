package cli

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// eventTime is when an event last happened. The operator records through
// events.k8s.io, which fills eventTime and series; older recorders fill
// lastTimestamp. Whichever is newest wins.
func eventTime(e *corev1.Event) time.Time {
	t := e.CreationTimestamp.Time
	for _, c := range []time.Time{e.EventTime.Time, e.LastTimestamp.Time} {
		if c.After(t) {
			t = c
		}
	}
	if e.Series != nil && e.Series.LastObservedTime.After(t) {
		t = e.Series.LastObservedTime.Time
	}
	return t
}

// eventCount is how often the event happened.
func eventCount(e *corev1.Event) int32 {
	if e.Series != nil && e.Series.Count > 0 {
		return e.Series.Count
	}
	return max(e.Count, 1)
}

// recentEvents keeps the last n events (the list is oldest first).
func recentEvents(evs []corev1.Event, n int) []corev1.Event {
	if len(evs) > n {
		return evs[len(evs)-n:]
	}
	return evs
}
