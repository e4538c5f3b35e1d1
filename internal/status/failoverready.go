package status

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// FailoverInputs is what FailoverReady depends on.
type FailoverInputs struct {
	Generation int64
	Type       api.SlotType
	Name       string
	Snapshot   *monitor.Snapshot
	// Row is the slot on the primary.
	Row *postgres.Slot
}

// FailoverReady answers, for a slot with spec.failover, whether a failover
// right now would keep it at its position: on PostgreSQL 17+ every streaming
// standby must hold a synchronized, persistent, valid copy and meet the
// slot-sync prerequisites. It also returns each standby's view.
func FailoverReady(in FailoverInputs) (*metav1.Condition, []api.StandbySlot) {
	c := &metav1.Condition{Type: api.ConditionFailoverReady, Status: metav1.ConditionFalse, ObservedGeneration: in.Generation}
	p := in.Snapshot.PrimaryMember()
	standbys := streamingStandbys(in.Snapshot)
	switch {
	case p == nil || in.Row == nil:
		c.Reason, c.Message = api.ReasonNotSynced, "the slot is not on a reachable primary"
		return c, nil
	case len(standbys) == 0:
		c.Reason, c.Message = api.ReasonNoStandbys, "no reachable standby: a failover has nowhere to keep the slot"
		return c, nil
	case in.Type == api.SlotPhysical:
		return physicalFailoverReady(c, standbys, in)
	case p.Identity.VersionNum < 170000:
		c.Reason = api.ReasonUnsupported
		c.Message = fmt.Sprintf("failover slots need PostgreSQL 17 (the primary runs %s); a failover recreates this slot with a data gap", p.Identity.Version)
		return c, nil
	case !in.Row.Failover:
		c.Reason = api.ReasonNotSynced
		c.Message = "the slot was not created as a failover slot (failover = false); recreate it, or enable it with ALTER_REPLICATION_SLOT " + in.Name + " (FAILOVER true)"
		return c, nil
	}
	views := make([]api.StandbySlot, 0, len(standbys))
	for _, s := range standbys {
		views = append(views, standbyView(s, in.Name, in.Row))
	}
	c.Status, c.Reason, c.Message = failoverVerdict(views)
	return c, views
}

func streamingStandbys(snap *monitor.Snapshot) []*monitor.Member {
	var out []*monitor.Member
	for i := range snap.Members {
		m := &snap.Members[i]
		if m.Identity != nil && m.Identity.InRecovery {
			out = append(out, m)
		}
	}
	return out
}

// standbyView judges one standby: its prerequisites first, then its copy.
func standbyView(m *monitor.Member, name string, primaryRow *postgres.Slot) api.StandbySlot {
	v := api.StandbySlot{Host: m.Host, Port: m.Port}
	copyRow, ok := m.Slots[name]
	if ok {
		v.Present, v.Synced, v.Persistent = true, copyRow.Synced, !copyRow.Temporary
		if a, b := primaryRow.ConfirmedFlushLSN, copyRow.ConfirmedFlushLSN; a != nil && b != nil && *a >= *b {
			lag := int64(*a - *b)
			v.LagBytes = &lag
		}
	}
	missing := SyncPrerequisites(m.Identity.Settings)
	switch {
	case len(missing) > 0:
		v.Message = strings.Join(missing, "; ")
	case !ok:
		v.Message = "no synchronized copy yet"
	case !copyRow.Synced:
		v.Message = "a slot of this name exists but is not a synchronized copy (a leftover from when this member was primary?)"
	case copyRow.InvalidationReason != "":
		v.Message = "the copy is invalidated (" + copyRow.InvalidationReason + ")"
	case copyRow.Temporary:
		v.Message = "the copy is still temporary: it persists once the primary's slot moves past it (the consumer must confirm progress)"
	default:
		v.Ready = true
	}
	return v
}

// SyncPrerequisites lists the standby settings slot synchronization needs,
// each with its fix.
func SyncPrerequisites(s postgres.Settings) []string {
	var out []string
	if s.SyncReplicationSlots != "on" {
		out = append(out, "set sync_replication_slots = on (otherwise only a manual pg_sync_replication_slots() syncs)")
	}
	if s.HotStandbyFeedback != "on" {
		out = append(out, "set hot_standby_feedback = on")
	}
	if s.PrimarySlotName == "" {
		out = append(out, "set primary_slot_name")
	}
	if !strings.Contains(s.PrimaryConnInfo, "dbname=") {
		out = append(out, "add dbname=... to primary_conninfo")
	}
	if s.WALLevel != "logical" {
		out = append(out, "set wal_level = logical")
	}
	return out
}

func failoverVerdict(views []api.StandbySlot) (metav1.ConditionStatus, string, string) {
	var notReady []string
	temporary, prereq := false, false
	for _, v := range views {
		if v.Ready {
			continue
		}
		notReady = append(notReady, fmt.Sprintf("%s:%d: %s", v.Host, v.Port, v.Message))
		temporary = temporary || (v.Present && !v.Persistent)
		prereq = prereq || strings.HasPrefix(v.Message, "set ") || strings.HasPrefix(v.Message, "add ")
	}
	switch {
	case len(notReady) == 0:
		return metav1.ConditionTrue, api.ReasonSynced, fmt.Sprintf("every standby (%d) holds a synchronized, persistent copy", len(views))
	case prereq:
		return metav1.ConditionFalse, api.ReasonFailoverPrerequisites, strings.Join(notReady, "; ")
	case temporary:
		return metav1.ConditionFalse, api.ReasonNotPersistentYet, strings.Join(notReady, "; ")
	}
	return metav1.ConditionFalse, api.ReasonNotSynced, strings.Join(notReady, "; ")
}

// physicalFailoverReady judges the operator-kept copies of a physical slot:
// a copy is ready when it keeps WAL from the primary slot's restart_lsn on.
func physicalFailoverReady(c *metav1.Condition, standbys []*monitor.Member, in FailoverInputs) (*metav1.Condition, []api.StandbySlot) {
	views := make([]api.StandbySlot, 0, len(standbys))
	for _, m := range standbys {
		v := api.StandbySlot{Host: m.Host, Port: m.Port}
		copyRow, ok := m.Slots[in.Name]
		switch {
		case !ok:
			v.Message = "no copy yet"
		case copyRow.RestartLSN == nil || in.Row.RestartLSN == nil:
			v.Present, v.Persistent, v.Message = true, true, "no restart_lsn to compare yet"
		case *copyRow.RestartLSN > *in.Row.RestartLSN:
			v.Present, v.Persistent = true, true
			v.Message = "the copy starts at " + copyRow.RestartLSN.String() + ", after the primary slot's " + in.Row.RestartLSN.String() + ": ready once the slot's consumer passes it"
		default:
			v.Present, v.Persistent, v.Ready = true, true, true
			lag := int64(*in.Row.RestartLSN - *copyRow.RestartLSN)
			v.LagBytes = &lag
		}
		views = append(views, v)
	}
	c.Status, c.Reason, c.Message = failoverVerdict(views)
	if c.Reason == api.ReasonSynced {
		c.Message = fmt.Sprintf("every standby (%d) holds a copy kept at the primary's restart_lsn", len(views))
	}
	return c, views
}

// FailoverPrerequisites lists, for each standby, the settings failover slots
// need and it lacks — for the PostgresServer, when one of its logical slots
// asks for failover on PostgreSQL 17+.
func FailoverPrerequisites(snap *monitor.Snapshot) []string {
	p := snap.PrimaryMember()
	if p == nil || p.Identity.VersionNum < 170000 {
		return nil
	}
	var out []string
	var slots []string
	for _, m := range streamingStandbys(snap) {
		for _, miss := range SyncPrerequisites(m.Identity.Settings) {
			out = append(out, "standby "+m.Addr()+": "+miss)
		}
		if s := m.Identity.Settings.PrimarySlotName; s != "" {
			slots = append(slots, s)
		}
	}
	if w := synchronizedStandbySlotsWarning(p.Identity.Settings.SynchronizedStandbySlots, slots); w != "" {
		out = append(out, w)
	}
	return out
}

// synchronizedStandbySlotsWarning says how to set synchronized_standby_slots
// on the primary when it misses a standby's physical slot: without it a
// consumer can confirm changes a standby's copy has not received, and a
// failover to that standby would replay or lose them.
func synchronizedStandbySlotsWarning(setting string, standbySlots []string) string {
	listed := map[string]bool{}
	for _, s := range strings.Split(setting, ",") {
		listed[strings.Trim(strings.TrimSpace(s), `"`)] = true
	}
	for _, s := range standbySlots {
		if !listed[s] {
			return fmt.Sprintf("primary: set synchronized_standby_slots = '%s' so no consumer gets ahead of the standbys' copies", strings.Join(standbySlots, ","))
		}
	}
	return ""
}
