package slot

// A member found through spec.hostsFrom is a Pod, and a Pod without a
// hostname behind its Service (CloudNativePG's, say) is reached by its IP.
// Recreated (a node drained, the Pod deleted), it comes back with its
// volume, so with the slots on it, under a new IP. The records of this
// object's slots there follow the Pod's name to the new address: keyed by
// the address alone, the copy would come back as a slot somebody else
// made, never advanced or dropped again, holding WAL until the disk was
// full. A record whose address another Pod now has is not that Pod's: it
// is forgotten, with an Event, rather than applied to the wrong server.

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// podMove is a record carried to its Pod's new address.
type podMove struct {
	rec  api.SlotCopy // as it is now, at the new address
	from observation.Endpoint
}

// podTaken is a record whose address another Pod now has.
type podTaken struct {
	rec api.SlotCopy
	by  string
}

// followPods places each record on the member its Pod is now: a record
// naming a Pod listed at another address moves there (unless another
// record already holds that address); one whose address another Pod holds
// is taken out (taken); one at an address listed without a conflicting
// Pod takes that member's Pod name. The rest stay as they are, for
// unlistedCopies to mark.
func followPods(copies []api.SlotCopy, snap *observation.Snapshot) (out []api.SlotCopy, moved []podMove, taken []podTaken) {
	for _, c := range copies {
		at := snap.Member(c.Host, c.Port)
		if to := podMember(snap.Members, c.Pod); to != nil && to != at && !recorded(copies, to.Endpoint) {
			from := observation.Endpoint{Host: c.Host, Port: c.Port}
			c.Host, c.Port = to.Host, to.Port
			moved = append(moved, podMove{rec: c, from: from})
		} else if at != nil && !status.PodsAgree(c.Pod, at.Pod) {
			taken = append(taken, podTaken{rec: c, by: at.Pod})
			continue
		} else if at != nil {
			c.Pod = at.Pod
		}
		out = append(out, c)
	}
	return out, moved, taken
}

func podMember(members []observation.Member, pod string) *observation.Member {
	for i := range members {
		if pod != "" && members[i].Pod == pod {
			return &members[i]
		}
	}
	return nil
}

func recorded(copies []api.SlotCopy, ep observation.Endpoint) bool {
	for _, c := range copies {
		if c.Host == ep.Host && c.Port == ep.Port {
			return true
		}
	}
	return false
}

// notePods applies followPods to the object's records, with an Event for
// each record moved or taken out.
func notePods(sc *slotScope) {
	out, moved, taken := followPods(sc.rs.Status.Copies, sc.snap)
	sc.rs.Status.Copies = out
	for _, m := range moved {
		sc.event("Normal", "SlotFollowed", record.ActionReconcile,
			"Pod %s is back at %s (it was at %s): slot %q there is still slotkeeper's",
			m.rec.Pod, observation.Endpoint{Host: m.rec.Host, Port: m.rec.Port}.Addr(), m.from.Addr(), sc.name)
	}
	for _, t := range taken {
		sc.event("Warning", "SlotForgotten", record.ActionRelease,
			"forgot slot %q of Pod %s: its address %s is now Pod %s's. If Pod %s still runs, the slot is still there "+
				"and keeps its WAL: drop it there by hand",
			sc.name, t.rec.Pod, observation.Endpoint{Host: t.rec.Host, Port: t.rec.Port}.Addr(), t.by, t.rec.Pod)
	}
}
