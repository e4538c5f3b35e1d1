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

// GapReason names why a slot this object had seen is gone: a failover when
// it was last seen on another member or an older timeline, otherwise it went
// missing (dropped behind the operator's back). A move by spec.location is
// told apart by the caller, which knows the location.
func GapReason(lastHost string, lastTimeline int64, host string, timeline int64) string {
	if (lastHost != "" && lastHost != host) || (lastTimeline > 0 && timeline > lastTimeline) {
		return "Failover"
	}
	return "Missing"
}
