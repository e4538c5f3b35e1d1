package cli

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// ServerRow is one PostgresServer as `status` shows it; the JSON form is
// what -o json|yaml prints, so scripts get the same judgement as people.
type ServerRow struct {
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Primary    string `json:"primary"`
	Timeline   int64  `json:"timeline"`
	Ready      string `json:"ready"`
	SplitBrain bool   `json:"splitBrain"`
	HAManager  string `json:"haManager"`
	Members    string `json:"members"`
	Slots      string `json:"slots"`
	Risk       Risk   `json:"risk"`
}

// SlotRow is one ReplicationSlot as `status` shows it.
type SlotRow struct {
	Namespace        string `json:"namespace"`
	Name             string `json:"name"`
	Server           string `json:"server"`
	Slot             string `json:"slot"`
	Type             string `json:"type"`
	Ready            string `json:"ready"`
	Consumer         string `json:"consumer"`
	ConsumerStale    bool   `json:"consumerStale"`
	RetainedWALBytes *int64 `json:"retainedWALBytes,omitempty"`
	Retained         string `json:"retained"`
	Budget           string `json:"budget"`
	Failover         string `json:"failover"`
	Gap              string `json:"gap"`
	Risk             Risk   `json:"risk"`
}

// NewServerRow summarises a PostgresServer.
func NewServerRow(ps *api.PostgresServer) ServerRow {
	st := &ps.Status
	_, split := conditionIs(st.Conditions, api.ConditionSplitBrain, metav1.ConditionTrue)
	return ServerRow{
		Namespace: ps.Namespace, Name: ps.Name,
		Primary: orNone(st.Primary), Timeline: st.Timeline,
		Ready:      conditionStatus(st.Conditions, api.ConditionReady),
		SplitBrain: split, HAManager: haManager(st.HAManager),
		Members: members(st.Members), Slots: slotCounts(st.Slots),
		Risk: ServerRisk(ps),
	}
}

// conditionStatus is a condition's status, or a dash when absent.
func conditionStatus(conds []metav1.Condition, t string) string {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return string(c.Status)
	}
	return none
}

func haManager(h *api.HAManagerStatus) string {
	if h == nil {
		return "none"
	}
	s := strings.TrimSpace(h.Name + " " + h.Version)
	if n := len(h.Uncovered); n > 0 {
		s += fmt.Sprintf(" (%d slots uncovered)", n)
	}
	return s
}

// members counts the reachable members: "2/2 up".
func members(ms []api.MemberStatus) string {
	if len(ms) == 0 {
		return none
	}
	up := 0
	for _, m := range ms {
		if m.Role != api.RoleUnreachable {
			up++
		}
	}
	return fmt.Sprintf("%d/%d up", up, len(ms))
}

func slotCounts(c *api.SlotCounts) string {
	if c == nil {
		return none
	}
	return fmt.Sprintf("%d managed, %d unmanaged", c.Managed, c.Unmanaged)
}

// NewSlotRow summarises a ReplicationSlot; now dates the gap.
func NewSlotRow(rs *api.ReplicationSlot, now time.Time) SlotRow {
	st := &rs.Status
	return SlotRow{
		Namespace: rs.Namespace, Name: rs.Name, Server: rs.Spec.ServerRef.Name,
		Slot: orNone(st.SlotName), Type: string(rs.Spec.Type),
		Ready:            conditionStatus(st.Conditions, api.ConditionReady),
		Consumer:         consumer(st),
		ConsumerStale:    st.Consumer != nil && st.Consumer.Stale,
		RetainedWALBytes: st.RetainedWALBytes, Retained: bytesOr(st.RetainedWALBytes, none),
		Budget:   budget(rs),
		Failover: failover(rs),
		Gap:      openGap(st, now),
		Risk:     SlotRisk(rs),
	}
}

// consumer names the holder and flags it when it looks gone.
func consumer(st *api.ReplicationSlotStatus) string {
	switch {
	case st.Active == nil:
		return none
	case !*st.Active:
		return "none"
	}
	who := fmt.Sprintf("pid %d", st.ActivePID)
	if c := st.Consumer; c != nil && c.ApplicationName != "" {
		who = c.ApplicationName
	}
	if st.Consumer != nil && st.Consumer.Stale {
		who += " (stale)"
	}
	return who
}

// budget is the share of spec.maxRetainedWAL in use: "12% of 1Gi".
func budget(rs *api.ReplicationSlot) string {
	q := rs.Spec.MaxRetainedWAL
	if q == nil {
		return none
	}
	used := rs.Status.RetainedWALBytes
	limit, ok := q.Bytes()
	if used == nil || !ok {
		return q.String()
	}
	return fmt.Sprintf("%d%% of %s", *used*100/limit, q.String())
}

// failover shows each standby's copy ("127.0.0.1:5433 ready"); without a
// standby list, FailoverReady's reason says why.
func failover(rs *api.ReplicationSlot) string {
	if !rs.Spec.Failover {
		return "off"
	}
	if len(rs.Status.Standbys) == 0 {
		if c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionFailoverReady); c != nil {
			return c.Reason
		}
		return none
	}
	parts := make([]string, 0, len(rs.Status.Standbys))
	for _, s := range rs.Status.Standbys {
		parts = append(parts, fmt.Sprintf("%s:%d %s", s.Host, s.Port, standbyState(s)))
	}
	return strings.Join(parts, ", ")
}

// standbyState names the first thing that keeps a copy from being ready.
func standbyState(s api.StandbySlot) string {
	switch {
	case s.Ready:
		return "ready"
	case !s.Present:
		return "missing"
	case !s.Synced:
		return "not synced"
	case !s.Persistent:
		return "not persistent"
	}
	return "not ready"
}

// openGap describes the unacknowledged window, if the DataGap condition
// says there is one: lastDataGap stays as history after acknowledgement.
func openGap(st *api.ReplicationSlotStatus, now time.Time) string {
	_, open := conditionIs(st.Conditions, api.ConditionDataGap, metav1.ConditionTrue)
	g := st.LastDataGap
	if !open || g == nil {
		return none
	}
	size := bytesOr(g.Bytes, "unknown size")
	if g.Recreations > 1 {
		return fmt.Sprintf("%s (%d recreations, latest %s ago)", size, g.Recreations, age(now, &g.At))
	}
	return fmt.Sprintf("%s (%s, %s ago)", size, g.Reason, age(now, &g.At))
}
