package cli

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Level is how urgently a row needs a person. The order matters: rows sort
// by it, highest first.
type Level int

const (
	LevelOK Level = iota
	// LevelInfo is worth knowing but loses nothing (a slot with no consumer).
	LevelInfo
	// LevelWarning will cost data or disk if left alone (over budget, not
	// failover-ready, a stale consumer).
	LevelWarning
	// LevelCritical is broken or has already lost data (not Ready, a data
	// gap, an invalidated slot, split brain).
	LevelCritical
)

var levelNames = [...]string{"ok", "info", "warning", "critical"}

func (l Level) String() string { return levelNames[l] }

// MarshalText makes -o json|yaml show the word, not a number that would
// change meaning if a level were ever inserted.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Risk is a row's level and the issues that make it so, worst first.
type Risk struct {
	Level  Level    `json:"level"`
	Issues []string `json:"issues,omitempty"`
}

func (r *Risk) add(l Level, format string, args ...any) {
	r.Level = max(r.Level, l)
	r.Issues = append(r.Issues, fmt.Sprintf(format, args...))
}

// Why is the issues for a table cell, most severe first.
func (r Risk) Why() string {
	if len(r.Issues) == 0 {
		return none
	}
	return strings.Join(r.Issues, "; ")
}

// conditionIs reports whether the condition is present with that status.
func conditionIs(conds []metav1.Condition, t string, s metav1.ConditionStatus) (*metav1.Condition, bool) {
	c := meta.FindStatusCondition(conds, t)
	return c, c != nil && c.Status == s
}

// SlotRisk judges one ReplicationSlot from its status alone. Issues are
// added in order of severity so the first one is the headline.
func SlotRisk(rs *api.ReplicationSlot) Risk {
	var r Risk
	st := &rs.Status
	slotCritical(&r, rs)
	if c, ok := conditionIs(st.Conditions, api.ConditionWALRetentionHealthy, metav1.ConditionFalse); ok && c.Reason == api.ReasonOverBudget {
		r.add(LevelWarning, "over WAL budget")
	}
	if st.Consumer != nil && st.Consumer.Stale {
		r.add(LevelWarning, "consumer looks stale")
	}
	if c, ok := conditionIs(st.Conditions, api.ConditionCreationBlocked, metav1.ConditionTrue); ok {
		r.add(LevelWarning, "creation blocked (%s)", c.Reason)
	}
	if c, ok := conditionIs(st.Conditions, api.ConditionFailoverReady, metav1.ConditionFalse); ok && rs.Spec.Failover {
		r.add(LevelWarning, "not failover-ready (%s)", c.Reason)
	}
	slotInfo(&r, rs)
	return r
}

// slotCritical adds what is broken or has already lost data.
func slotCritical(r *Risk, rs *api.ReplicationSlot) {
	st := &rs.Status
	if c, ok := conditionIs(st.Conditions, api.ConditionStalled, metav1.ConditionTrue); ok {
		r.add(LevelCritical, "stalled (%s)", c.Reason)
	}
	if _, ok := conditionIs(st.Conditions, api.ConditionDataGap, metav1.ConditionTrue); ok {
		r.add(LevelCritical, "unacknowledged data gap")
	}
	switch st.WALStatus {
	case "lost":
		r.add(LevelCritical, "invalidated (wal_status lost)")
	case "unreserved":
		r.add(LevelCritical, "WAL unreserved: invalidated at the next checkpoint")
	}
	readyRisk(r, st.Conditions)
}

// slotInfo adds what loses nothing yet.
func slotInfo(r *Risk, rs *api.ReplicationSlot) {
	st := &rs.Status
	if st.Active != nil && !*st.Active {
		r.add(LevelInfo, "no consumer")
	}
	if st.Vanished > 0 {
		r.add(LevelInfo, "vanished %s", times(st.Vanished))
	}
}

// ServerRisk judges one PostgresServer from its status alone.
func ServerRisk(ps *api.PostgresServer) Risk {
	var r Risk
	st := &ps.Status
	if _, ok := conditionIs(st.Conditions, api.ConditionSplitBrain, metav1.ConditionTrue); ok {
		r.add(LevelCritical, "split brain")
	}
	if c, ok := conditionIs(st.Conditions, api.ConditionStalled, metav1.ConditionTrue); ok {
		r.add(LevelCritical, "stalled (%s)", c.Reason)
	}
	readyRisk(&r, st.Conditions)
	serverWarnings(&r, ps)
	return r
}

// serverWarnings adds what will hurt the server's slots if left alone.
func serverWarnings(r *Risk, ps *api.PostgresServer) {
	st := &ps.Status
	for _, m := range st.Members {
		if m.Role == api.RoleUnreachable {
			r.add(LevelWarning, "member %s:%d unreachable", m.Host, m.Port)
		}
	}
	if c, ok := conditionIs(st.Conditions, api.ConditionPrerequisitesMet, metav1.ConditionFalse); ok {
		r.add(LevelWarning, "prerequisites missing (%s)", c.Reason)
	}
	if _, ok := conditionIs(st.Conditions, api.ConditionHAManagerCoversSlots, metav1.ConditionFalse); ok {
		r.add(LevelWarning, "HA manager may drop declared slots")
	}
	if _, ok := conditionIs(st.Conditions, api.ConditionUnmanagedWALRetentionHealthy, metav1.ConditionFalse); ok {
		r.add(LevelWarning, "unmanaged slots over WAL budget")
	}
	if st.Slots != nil && st.Slots.InactiveUnmanaged > 0 {
		r.add(LevelInfo, "%d inactive unmanaged slots", st.Slots.InactiveUnmanaged)
	}
}

// SortSlotRows puts the riskiest first: level, then retained WAL (the
// disk it costs), then namespace and name so the order is stable.
func SortSlotRows(rows []SlotRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Risk.Level != b.Risk.Level {
			return a.Risk.Level > b.Risk.Level
		}
		if ra, rb := derefOr(a.RetainedWALBytes), derefOr(b.RetainedWALBytes); ra != rb {
			return ra > rb
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
}

// SortServerRows puts the riskiest first, then by namespace and name.
func SortServerRows(rows []ServerRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Risk.Level != b.Risk.Level {
			return a.Risk.Level > b.Risk.Level
		}
		if len(a.Risk.Issues) != len(b.Risk.Issues) {
			return len(a.Risk.Issues) > len(b.Risk.Issues)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
}

func derefOr(n *int64) int64 {
	if n == nil {
		return -1
	}
	return *n
}

// readyRisk judges an object's Ready condition.
func readyRisk(r *Risk, conds []metav1.Condition) {
	ready := meta.FindStatusCondition(conds, api.ConditionReady)
	switch {
	case ready == nil:
		r.add(LevelWarning, "no status yet: is the operator running?")
	case ready.Status != metav1.ConditionTrue:
		r.add(LevelCritical, "not ready (%s)", ready.Reason)
	}
}
