package status

import (
	"fmt"
	"slices"
	"strings"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// HA manager names as status.haManager.name gives them.
const (
	HAManagerPatroni = "Patroni"
	HAManagerCNPG    = "CloudNativePG"
)

// VanishedNote says who most likely dropped a slot that went missing with
// no failover, and what stops it; empty when no HA manager is known to run
// the cluster or the slot was recreated for another reason.
func VanishedNote(reason string, ha *api.HAManagerStatus, slot string) string {
	if reason != api.ReasonMissing || ha == nil {
		return ""
	}
	switch ha.Name {
	case HAManagerPatroni:
		return fmt.Sprintf("; Patroni runs this cluster and most likely dropped it (it drops every inactive slot that neither its slots nor its ignore_slots name): %s",
			PatroniFix([]string{slot}))
	case HAManagerCNPG:
		return "; CloudNativePG runs this cluster and may have dropped it: see docs/ha-managers.md"
	}
	return fmt.Sprintf("; %s runs this cluster and may have dropped it", ha.Name)
}

// PatroniFix is the change that keeps Patroni from dropping the slots.
func PatroniFix(slots []string) string {
	entries := make([]string, 0, len(slots))
	for _, s := range slots {
		entries = append(entries, "{name: "+s+"}")
	}
	return fmt.Sprintf("set spec.patroni.ignoreSlots: Manage on the PostgresServer, or add to Patroni's dynamic configuration (patronictl edit-config) ignore_slots: [%s]",
		strings.Join(entries, ", "))
}

// UncoveredNote is what a ReplicationSlot's Ready message adds while the
// HA manager would drop its slot.
func UncoveredNote(ha *api.HAManagerStatus, slot string) string {
	if ha == nil || !slices.Contains(ha.Uncovered, slot) {
		return ""
	}
	return fmt.Sprintf("; %s will drop this slot whenever it re-reads its slot list (restart, failover, switchover): %s",
		ha.Name, PatroniFix([]string{slot}))
}
