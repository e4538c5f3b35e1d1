package status

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"slices"
	"strings"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// HA manager names as status.haManager.name gives them.
const (
	HAManagerPatroni = postgres.HAManagerPatroni
	HAManagerCNPG    = postgres.HAManagerCNPG
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
		return "; CloudNativePG runs this cluster: on a standby, its replicationSlots.synchronizeReplicas drops inactive physical slots " +
			"the primary does not have, unless synchronizeReplicas.excludePatterns matches them (docs/ha-managers.md)"
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

// HAInputs is what the HAManagerCoversSlots condition depends on.
type HAInputs struct {
	Generation int64
	// Detected is the HA manager seen in pg_stat_activity, "" for none.
	Detected string
	// Configured: spec.patroni is set; Mode is its ignoreSlots.
	Configured bool
	Mode       api.IgnoreSlotsMode
	// ErrReason and ErrMessage describe a REST API call that failed.
	ErrReason, ErrMessage string
	Declared              int
	Uncovered             []string
	Entries               int32
}

// HACoverage is the HAManagerCoversSlots condition; nil when no HA
// manager is known to run the cluster.
func HACoverage(in HAInputs) *metav1.Condition {
	c := &metav1.Condition{ObservedGeneration: in.Generation}
	switch {
	case !in.Configured && in.Detected == "":
		return nil
	case !in.Configured && in.Detected == HAManagerCNPG:
		c.Status, c.Reason = metav1.ConditionTrue, api.ReasonCovered
		c.Message = "CloudNativePG runs this cluster: it leaves foreign slots on the primary alone; on standbys its synchronizeReplicas drops inactive physical slots the primary lacks unless excludePatterns matches them (docs/ha-managers.md)"
	case !in.Configured:
		c.Status, c.Reason = metav1.ConditionUnknown, api.ReasonUnknown
		c.Message = fmt.Sprintf("%s runs this cluster (its sessions are in pg_stat_activity) and drops every inactive slot its slots and ignore_slots do not name, at its start, a PostgreSQL restart, a switchover or a failover; set spec.patroni.urls so slotkeeper can check ignore_slots (ignoreSlots: Report) or keep it (ignoreSlots: Manage), or add the %d declared slot(s) to Patroni's ignore_slots yourself (patronictl edit-config)",
			in.Detected, in.Declared)
	case in.ErrReason != "":
		c.Status, c.Reason, c.Message = haErrorCondition(in)
	case len(in.Uncovered) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, api.ReasonNotCovered
		c.Message = fmt.Sprintf("Patroni would drop %d of %d declared slot(s) the next time it re-reads its slot list (its start, a PostgreSQL restart, a switchover or a failover): %s; %s",
			len(in.Uncovered), in.Declared, strings.Join(in.Uncovered, ", "), uncoveredFix(in))
	default:
		c.Status, c.Reason = metav1.ConditionTrue, api.ReasonCovered
		c.Message = fmt.Sprintf("Patroni's slots or ignore_slots cover all %d declared slot(s)", in.Declared)
		if in.Mode == api.IgnoreSlotsManage {
			c.Message += fmt.Sprintf("; slotkeeper keeps %d ignore_slots entr%s", in.Entries, plural(in.Entries, "y", "ies"))
		}
	}
	return c
}

func uncoveredFix(in HAInputs) string {
	if in.Mode == api.IgnoreSlotsManage {
		return "slotkeeper adds its entries before each creation; an entry that keeps disappearing is being reverted by whatever writes Patroni's configuration (an operator such as Crunchy PGO, Percona or StackGres): put ignore_slots in that operator's Patroni settings (docs/ha-managers.md)"
	}
	return PatroniFix(in.Uncovered)
}

func haErrorCondition(in HAInputs) (metav1.ConditionStatus, string, string) {
	switch in.ErrReason {
	case api.ReasonHAManagerUnauthorized:
		return metav1.ConditionFalse, in.ErrReason, "Patroni's REST API refused slotkeeper (" + in.ErrMessage +
			"): set spec.patroni.credentialsSecretRef to restapi.authentication's username and password (https only), or allow the operator in restapi.allowlist; slots are still created and recreated"
	case api.ReasonHAManagerRefused:
		return metav1.ConditionFalse, in.ErrReason, "Patroni's REST API: " + in.ErrMessage + "; slots are still created and recreated"
	}
	return metav1.ConditionUnknown, api.ReasonHAManagerUnreachable, "cannot reach Patroni's REST API (" + in.ErrMessage +
		"): check spec.patroni.urls and that the operator may connect to them; slots are still created and recreated, but Patroni may drop them"
}

func plural(n int32, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ForeignCopyNote says what to do about a slot of the declared name on a
// standby that slotkeeper did not make.
func ForeignCopyNote(ha *api.HAManagerStatus) string {
	if ha != nil && ha.Name == HAManagerCNPG {
		return "CloudNativePG keeps its own copy of this physical slot on this standby (replicationSlots.synchronizeReplicas) and would " +
			"make it again after a drop; slotkeeper leaves it to CloudNativePG. To have slotkeeper keep the copy instead, exclude the slot " +
			"with synchronizeReplicas.excludePatterns and drop CloudNativePG's copy"
	}
	return "a slot of this name exists on this standby that slotkeeper did not make; drop it there so slotkeeper can keep a copy"
}
