package slot

// A member found through spec.hostsFrom is a Pod, and a Pod without a
// hostname behind its Service (CloudNativePG's, say) is reached by its IP.
// Recreated (a node drained, the Pod deleted), it comes back with its
// volume, so with the slots on it, under a new IP. The records of this
// object's slots there follow the Pod's name to the new address: keyed by
// the address alone, the copy would come back as a slot somebody else
// made, never advanced or dropped again, holding WAL until the disk was
// full. A record whose Pod is not listed stays where it was even when
// another Pod has that address now (IPs are reused within seconds during
// a rolling restart): it is that Pod's record, not the newcomer's, and
// waits for its Pod like any unlisted record (copies_unlisted.go).

import (
	"context"
	"slices"

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

// followPods places each record on the member its Pod is now. A record
// naming a Pod listed at another address moves there; one without a Pod
// takes the Pod listed at its address (a record written before Pods were
// named). A record whose Pod is not listed stays, for unlistedCopies to
// mark. Two records that end on one Pod are one slot: keepOnePerPod picks.
func followPods(copies []api.SlotCopy, snap *observation.Snapshot) (out []api.SlotCopy, moved []podMove) {
	var ranks []int
	for _, c := range copies {
		from := observation.Endpoint{Host: c.Host, Port: c.Port}
		rank := podStayed
		if to := podMember(snap.Members, c.Pod); to != nil && to.Endpoint != from {
			c.Host, c.Port, rank = to.Host, to.Port, podMoved
			moved = append(moved, podMove{rec: c, from: from})
		} else if at := snap.Member(c.Host, c.Port); at != nil && c.Pod == "" {
			c.Pod, rank = at.Pod, podAdopted
		}
		out, ranks = keepOnePerPod(out, ranks, c, rank)
	}
	return out, moved
}

// How sure a record is of its Pod, for two records that end on one: one
// that named the Pod and stayed was written last; one that followed its
// Pod was written for it; one that took the Pod of its address was
// written for whoever had that address before Pods were named.
const (
	podAdopted = iota
	podMoved
	podStayed
)

// keepOnePerPod adds c to out unless out holds a record of the same Pod
// at the same address; of the two, the surer is kept, else the first.
func keepOnePerPod(out []api.SlotCopy, ranks []int, c api.SlotCopy, rank int) ([]api.SlotCopy, []int) {
	k := slices.IndexFunc(out, func(o api.SlotCopy) bool {
		return c.Pod != "" && o.Pod == c.Pod && o.Host == c.Host && o.Port == c.Port
	})
	switch {
	case k < 0:
		return append(out, c), append(ranks, rank)
	case rank > ranks[k]:
		out[k], ranks[k] = c, rank
	}
	return out, ranks
}

func podMember(members []observation.Member, pod string) *observation.Member {
	for i := range members {
		if pod != "" && members[i].Pod == pod {
			return &members[i]
		}
	}
	return nil
}

// followRecords is the phase that moves the records to their Pods before
// any phase reads them: the slot's own move (host_move.go) and a former
// primary promoted again (stale_target.go) look its member up in them.
func followRecords(_ context.Context, sc *slotScope) (*status.Outcome, error) {
	if sc.snap != nil {
		notePods(sc)
	}
	return nil, nil
}

// notePods applies followPods to the object's records, with an Event for
// each record moved.
func notePods(sc *slotScope) {
	out, moved := followPods(sc.rs.Status.Copies, sc.snap)
	sc.rs.Status.Copies = out
	for _, m := range moved {
		sc.event("Normal", "SlotFollowed", record.ActionReconcile,
			"Pod %s is back at %s (it was at %s): slot %q there is still slotkeeper's",
			m.rec.Pod, observation.Endpoint{Host: m.rec.Host, Port: m.rec.Port}.Addr(), m.from.Addr(), sc.name)
	}
}

// recordMember is the member a record is of: the member listed at its
// address, unless that member is another Pod than the record's.
func recordMember(snap *observation.Snapshot, c api.SlotCopy) *observation.Member {
	return podsAgree(c, snap.Member(c.Host, c.Port))
}

// clusterRecordMember is recordMember among the members of the server's
// cluster (observation.Snapshot.ClusterMember).
func clusterRecordMember(snap *observation.Snapshot, c api.SlotCopy) *observation.Member {
	return podsAgree(c, snap.ClusterMember(c.Host, c.Port))
}

func podsAgree(c api.SlotCopy, m *observation.Member) *observation.Member {
	if m != nil && status.PodsAgree(c.Pod, m.Pod) {
		return m
	}
	return nil
}

// recordAt tells the records of the member at ep: those at its address
// whose Pod agrees with the member's. With no member listed at ep only a
// record without a Pod is: one naming a Pod is that Pod's, which may be
// away while its address is written about.
func recordAt(snap *observation.Snapshot, ep observation.Endpoint) func(api.SlotCopy) bool {
	m := snap.Member(ep.Host, ep.Port)
	return func(c api.SlotCopy) bool {
		if m == nil {
			return c.Host == ep.Host && c.Port == ep.Port && c.Pod == ""
		}
		return status.RecordOf(c, m)
	}
}
