package monitor

import (
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// overBudgetMark is the server fingerprint's part for the unmanaged WAL
// budget: "|overbudget" while the inactive slots on the primary that no
// ReplicationSlot tracks retain more than budget, rounded as the status
// rounds it. Crossing the budget, either way, thus wakes the server object
// within one poll (UnmanagedWALRetentionHealthy follows at once), while the
// figure moving on one side of it wakes nothing: it is refreshed on the
// server's slow schedule. A slot whose object does not own it (Conflict)
// counts in the status but not here; the slow schedule covers it.
func overBudgetMark(snap *observation.Snapshot, budget int64, tracked func() watchList) string {
	p := snap.PrimaryMember()
	if p == nil || budget <= 0 {
		return ""
	}
	// Every inactive slot together within budget: so are the untracked
	// ones, and the tracker (every object of every server) need not be
	// walked. This is the quiet poll's path.
	if observation.QuantizeBytes(inactiveRetained(p, nil)) <= budget {
		return ""
	}
	if observation.QuantizeBytes(inactiveRetained(p, tracked())) <= budget {
		return ""
	}
	return "|overbudget"
}

// inactiveRetained sums the WAL retained by the member's inactive slots
// not named in skip.
func inactiveRetained(p *observation.Member, skip watchList) int64 {
	var sum int64
	for name, sl := range p.Slots {
		if sl.Active || sl.RetainedBytes == nil {
			continue
		}
		if _, ok := skip[name]; ok {
			continue
		}
		sum += *sl.RetainedBytes
	}
	return sum
}

// crossedBudget reports whether the slot's retention crossed budget, either
// way, between two snapshots: over it on some member in one and on none in
// the other. WALRetentionHealthy then turns within one poll, while the
// retention moving on one side of the budget wakes nothing. A copy on a
// standby crossing it wakes the object too; that costs a reconcile, no
// write.
func crossedBudget(prev, cur *observation.Snapshot, slot string, budget int64) bool {
	return budget > 0 && overSlotBudget(prev, slot, budget) != overSlotBudget(cur, slot, budget)
}

func overSlotBudget(s *observation.Snapshot, slot string, budget int64) bool {
	for i := range s.Members {
		if sl, ok := s.Members[i].Slots[slot]; ok && sl.RetainedBytes != nil && *sl.RetainedBytes > budget {
			return true
		}
	}
	return false
}
