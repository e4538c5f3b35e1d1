package cli

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// runbook links a section of docs/runbook.md, where each situation has
// its Confirm and Do steps.
func runbook(anchor string) string { return "docs/runbook.md#" + anchor }

// readyRunbook maps a Ready reason to the runbook section that handles it.
var readyRunbook = map[string]string{
	api.ReasonServerUnavailable: "server-down-or-split-brain",
	api.ReasonNoPrimary:         "server-down-or-split-brain",
	api.ReasonSplitBrain:        "server-down-or-split-brain",
	api.ReasonSlotActive:        "slot-held-by-a-stale-consumer",
	api.ReasonCreating:          "blocked-creation",
	api.ReasonInvalidated:       "invalidation",
}

// NextSteps says what a person should do about the slot, most urgent
// first. It only advises: the plugin acts on nothing but the ack.
func NextSteps(rs *api.ReplicationSlot, ps *api.PostgresServer) []string {
	var steps []string
	steps = append(steps, brokenSteps(rs)...)
	steps = append(steps, riskSteps(rs)...)
	steps = append(steps, serverSteps(rs, ps)...)
	if st := rs.Status; st.Active != nil && !*st.Active {
		steps = append(steps, "Start the slot's consumer; if nothing will use the slot again, delete the ReplicationSlot "+
			"(unless deletionPolicy or an adoption keeps it, that drops the slot and frees its WAL): "+runbook("slot-without-a-consumer"))
	}
	if len(steps) == 0 {
		return []string{"Nothing: the slot is healthy."}
	}
	return steps
}

// brokenSteps covers what is broken or has lost data.
func brokenSteps(rs *api.ReplicationSlot) []string {
	var steps []string
	st := &rs.Status
	if c, ok := conditionIs(st.Conditions, api.ConditionStalled, metav1.ConditionTrue); ok {
		steps = append(steps, fmt.Sprintf("Fix what Stalled names; retrying will not help (%s): %s", c.Reason, c.Message))
	}
	if l := st.Loss; l != nil {
		steps = append(steps, fmt.Sprintf("The slot went missing on %s at %s (%s) and is not back yet: its consumer loses every change "+
			"from %s on until it is; fix what Ready names: %s", l.Member, l.Since.UTC().Format("2006-01-02 15:04:05Z"), l.Reason,
			orUnknown(l.FromLSN), runbook("slot-not-ready")))
	}
	if _, ok := conditionIs(st.Conditions, api.ConditionDataGap, metav1.ConditionTrue); ok {
		steps = append(steps, fmt.Sprintf("Resynchronise the consumer for the whole data gap window (%s), then run: kubectl slotkeeper ack %s -n %s",
			runbook("data-gap"), rs.Name, rs.Namespace))
	}
	switch st.WALStatus {
	case "lost":
		steps = append(steps, "The slot was invalidated ("+orUnknown(st.InvalidationReason)+"); fix the cause: "+runbook("invalidation"))
	case "unreserved":
		steps = append(steps, "Get the consumer to catch up now: the next checkpoint invalidates the slot: "+runbook("invalidation"))
	}
	if c := meta.FindStatusCondition(st.Conditions, api.ConditionReady); c != nil && c.Status != metav1.ConditionTrue {
		steps = append(steps, fmt.Sprintf("Not Ready (%s): %s: %s", c.Reason, c.Message, runbook(readyAnchor(c.Reason))))
	}
	return steps
}

func readyAnchor(reason string) string {
	if a, ok := readyRunbook[reason]; ok {
		return a
	}
	return "slot-not-ready"
}

// riskSteps covers what will cost data or disk if left alone.
func riskSteps(rs *api.ReplicationSlot) []string {
	var steps []string
	st := &rs.Status
	if c, ok := conditionIs(st.Conditions, api.ConditionWALRetentionHealthy, metav1.ConditionFalse); ok && c.Reason == api.ReasonOverBudget {
		steps = append(steps, "Retained WAL is over budget: "+c.Message+": "+runbook("retained-wal-over-budget"))
	}
	if st.Consumer != nil && st.Consumer.Stale {
		steps = append(steps, fmt.Sprintf("The consumer looks gone. If it is, end its connection on %s with SELECT pg_terminate_backend(%d); "+
			"slotkeeper never does: %s", orNone(st.Host), st.ActivePID, runbook("slot-held-by-a-stale-consumer")))
	}
	if c, ok := conditionIs(st.Conditions, api.ConditionCreationBlocked, metav1.ConditionTrue); ok {
		steps = append(steps, "Creation waits ("+c.Reason+"): "+c.Message+": "+runbook("blocked-creation"))
	}
	if c, ok := conditionIs(st.Conditions, api.ConditionFailoverReady, metav1.ConditionFalse); ok && rs.Spec.Failover {
		steps = append(steps, "Not failover-ready ("+c.Reason+"): "+c.Message+": "+runbook("failover-not-ready"))
	}
	return steps
}

// serverSteps covers the server's problems that reach this slot.
func serverSteps(rs *api.ReplicationSlot, ps *api.PostgresServer) []string {
	if ps == nil {
		return nil
	}
	var steps []string
	if _, ok := conditionIs(ps.Status.Conditions, api.ConditionSplitBrain, metav1.ConditionTrue); ok {
		steps = append(steps, "PostgresServer "+ps.Name+" sees two primaries; slotkeeper does nothing destructive until one is fenced: "+
			runbook("server-down-or-split-brain"))
	}
	if h := ps.Status.HAManager; h != nil && slices.Contains(h.Uncovered, rs.Status.SlotName) {
		steps = append(steps, h.Name+" would drop this slot: cover it in its slots or ignore_slots: "+runbook("ha-manager-drops-slots"))
	}
	return steps
}
