package monitor

import (
	"k8s.io/apimachinery/pkg/types"

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
func overBudgetMark(snap *observation.Snapshot, budget int64, tracked func() map[string][]types.NamespacedName) string {
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
func inactiveRetained(p *observation.Member, skip map[string][]types.NamespacedName) int64 {
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
