package status

import (
	"slices"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// RecreationDone reports whether a failover's recreation record has served
// its purpose: every object of the server that manages a slot it names has
// recorded that slot on the promoted member's timeline, given it up, or is
// gone. Until then the record is what tells a slot made ahead from a
// newcomer after an operator restart; after, it could only mislead, for
// example a cluster rebuilt behind the same Service that reuses the member
// address and the timeline. A record younger than RecreationKeep is kept
// whatever the objects say: their statuses in the cache can lag, and
// nothing is rebuilt that fast.
func RecreationDone(rec *api.SlotRecreation, slots []api.ReplicationSlot, now time.Time) bool {
	if rec == nil || now.Sub(rec.At.Time) < RecreationKeep {
		return false
	}
	for i := range slots {
		rs := &slots[i]
		if slices.Contains(rec.Slots, rs.SlotName()) && !recordedRecreation(rec, &rs.Status) {
			return false
		}
	}
	return true
}

// RecreationKeep is how long a recreation record is kept at least.
const RecreationKeep = time.Minute

// recordedRecreation: the object's status no longer needs the record: it
// has recorded its slot since the promotion, on the promoted member (as
// the record's own use would) or, moved by spec.location or a later
// failover, somewhere else. The record serves an object whose status
// still shows the timeline before it (namedForRecreation).
func recordedRecreation(rec *api.SlotRecreation, st *api.ReplicationSlotStatus) bool {
	return !st.Owned || st.ObservedTimeline >= rec.Timeline
}
