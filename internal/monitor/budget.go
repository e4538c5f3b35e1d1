package monitor

import (
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// overBudgetMark is the server fingerprint's part for the unmanaged WAL
// budget: "|overbudget" while the inactive slots on the primary that no
// ReplicationSlot owns (managed, as the server reconcile last counted them
// for its status) retain more than budget, rounded as the status rounds
// it. Crossing the budget, either way, thus wakes the server object within
// one poll (UnmanagedWALRetentionHealthy follows at once), while the figure
// moving on one side of it wakes nothing: it is refreshed on the server's
// slow schedule.
func overBudgetMark(snap *observation.Snapshot, budget int64, managed map[string]bool) string {
	p := snap.PrimaryMember()
	if p == nil || budget <= 0 {
		return ""
	}
	if observation.InactiveUnmanagedBytes(p, managed) <= budget {
		return ""
	}
	return "|overbudget"
}

// crossedBudget reports whether the slot's retention crossed budget, either
// way, on some member between two snapshots. WALRetentionHealthy then
// turns within one poll, while the retention moving on one side of the
// budget wakes nothing. Each member is judged on its own: the status
// judges the slot on its target member, and a copy elsewhere that stays
// over the budget must not hide the target's crossing. A copy crossing it
// wakes the object too, for a reconcile that writes nothing.
func crossedBudget(prev, cur *observation.Snapshot, slot string, budget int64) bool {
	if budget <= 0 || prev == nil {
		return false
	}
	for i := range cur.Members {
		m := &cur.Members[i]
		if overSlotBudget(prev.Member(m.Host, m.Port), slot, budget) != overSlotBudget(m, slot, budget) {
			return true
		}
	}
	return false
}

// overSlotBudget: the slot on member m (nil: unknown) retains more than budget.
func overSlotBudget(m *observation.Member, slot string, budget int64) bool {
	if m == nil {
		return false
	}
	sl, ok := m.Slots[slot]
	return ok && observation.OverBudget(&sl, budget)
}
