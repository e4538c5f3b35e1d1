package slot

// A member the server stops listing: a Pod behind spec.hostsFrom that is
// terminating or being rescheduled (a rolling restart takes each Pod out
// of its Service's slices for seconds to minutes), or a host taken out of
// spec.hosts. The record of this object's slot there (a copy, or a slot
// left behind) is kept, marked with when the member left the list, so
// that the slot is known as this object's when the member is back.
// Forgotten at once, the copy would be taken for somebody else's slot
// when its standby returned: never advanced or dropped again, it would
// keep WAL on that standby until its disk was full. A member unlisted for
// unlistedKeep is taken as gone for good; its record is forgotten with a
// Warning Event, since the slot is still there if the server still runs.

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/record"
)

// unlistedKeep is how long the record of a slot on a member the server no
// longer lists is kept: longer than a Pod's restart or rescheduling.
const unlistedKeep = time.Hour

// unlistedCopies marks the records of members that listed does not hold
// with the time they were first seen unlisted, clears the mark of members
// listed again, and leaves out (forgotten) those unlisted for longer than
// keep.
func unlistedCopies(copies []api.SlotCopy, listed func(api.SlotCopy) bool, now time.Time, keep time.Duration) (kept, forgotten []api.SlotCopy) {
	for _, c := range copies {
		switch {
		case listed(c):
			c.UnlistedSince = nil
		case c.UnlistedSince == nil:
			c.UnlistedSince = &metav1.Time{Time: now.Truncate(time.Second)}
		case now.Sub(c.UnlistedSince.Time) > keep:
			forgotten = append(forgotten, c)
			continue
		}
		kept = append(kept, c)
	}
	return kept, forgotten
}

// noteUnlisted applies unlistedCopies to the object's records, with an
// Event for each record forgotten.
func noteUnlisted(sc *slotScope) {
	kept, forgotten := unlistedCopies(sc.rs.Status.Copies, func(c api.SlotCopy) bool {
		return listedMember(sc.snap, c)
	}, time.Now(), unlistedKeep)
	sc.rs.Status.Copies = kept
	for _, c := range forgotten {
		sc.event("Warning", "SlotForgotten", record.ActionRelease,
			"forgot slot %q on %s: the PostgresServer has not listed that member since %s. If that server still runs, "+
				"the slot is still there and keeps its WAL: drop it there by hand",
			sc.name, unlistedName(c), c.UnlistedSince.UTC().Format(time.RFC3339))
	}
}

// listedMember: the snapshot lists the record's member (its Pod, for a
// record that names one).
func listedMember(snap *observation.Snapshot, c api.SlotCopy) bool {
	return recordMember(snap, c) != nil
}

// unlistedName names a record's member for a person: its Pod too, when
// the record names one (its address may be another Pod's by now).
func unlistedName(c api.SlotCopy) string {
	addr := observation.Endpoint{Host: c.Host, Port: c.Port}.Addr()
	if c.Pod == "" {
		return addr
	}
	return "Pod " + c.Pod + " (last at " + addr + ")"
}
