package monitor

import (
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// anyAbsent reports whether some remembered slot is not on the primary.
func anyAbsent(confirmed map[string]postgres.LSN, present map[string]postgres.Slot) bool {
	for name := range confirmed {
		if _, ok := present[name]; !ok {
			return true
		}
	}
	return false
}

// pruneConfirmed forgets the last confirmed position of slots that are
// neither on the primary nor declared by any object. A declared slot keeps
// its entry after it vanished (a failover, a drop behind our back): that
// position starts its data gap. Anything else (a subscription's tablesync
// slots, come and gone by the thousand) would only make the map grow.
func pruneConfirmed(confirmed map[string]postgres.LSN, present map[string]postgres.Slot, tracked watchList) {
	for name := range confirmed {
		if _, ok := present[name]; ok {
			continue
		}
		if len(tracked[name]) > 0 {
			continue
		}
		delete(confirmed, name)
	}
}
