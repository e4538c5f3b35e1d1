package status

// IsFailover reports whether moving from one observed primary to another is
// a failover: a different member, or a newer timeline on the same endpoint
// (a promotion behind a Service name). Nothing known before is no failover.
func IsFailover(oldPrimary string, oldTimeline int64, newPrimary string, newTimeline int64) bool {
	if oldPrimary == "" || newPrimary == "" {
		return false
	}
	return oldPrimary != newPrimary || newTimeline > oldTimeline
}

// GapReason names why a slot this object had seen is not on its member: a
// failover when it was last seen on an older timeline, or on another member
// while the timeline is unknown; a move (spec.location) when it was last
// seen on another member of the same timeline, which no promotion leaves;
// otherwise it went missing (dropped behind the operator's back).
func GapReason(lastHost string, lastTimeline int64, host string, timeline int64) string {
	switch {
	case lastTimeline > 0 && timeline > lastTimeline:
		return "Failover"
	case lastHost != "" && lastHost != host && lastTimeline > 0 && timeline == lastTimeline:
		return "Relocated"
	case lastHost != "" && lastHost != host:
		return "Failover"
	}
	return "Missing"
}
