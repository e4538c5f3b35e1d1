package status

import (
	"fmt"
	"strings"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// SyncPrerequisites lists the standby settings PostgreSQL 17's slot
// synchronization needs, each with its fix.
func SyncPrerequisites(s postgres.Settings) []string {
	var out []string
	if s.SyncReplicationSlots != "on" {
		out = append(out, "set sync_replication_slots = on (otherwise only a manual pg_sync_replication_slots() syncs)")
	}
	out = append(out, KeptCopyPrerequisites(s)...)
	if !strings.Contains(s.PrimaryConnInfo, "dbname=") {
		out = append(out, "add dbname=... to primary_conninfo")
	}
	return out
}

// KeptCopyPrerequisites lists the standby settings a logical copy needs:
// decoding on the standby (wal_level), and the primary keeping the catalog
// rows the copy still needs (hot_standby_feedback through a slot).
func KeptCopyPrerequisites(s postgres.Settings) []string {
	var out []string
	if s.HotStandbyFeedback != "on" {
		out = append(out, "set hot_standby_feedback = on")
	}
	if s.PrimarySlotName == "" {
		out = append(out, "set primary_slot_name")
	}
	if miss := standbyDecodingMissing(s); miss != "" {
		out = append(out, miss)
	}
	return out
}

// standbyDecodingMissing says what keeps a standby from decoding. From 19
// on a standby decodes when effective_wal_level, which it takes from its
// primary whatever its own wal_level, is logical; the primary has it while
// it has wal_level = logical or a valid logical slot. effective_wal_level
// exists only from 19 on, so its presence decides (untested against a real
// 19).
func standbyDecodingMissing(s postgres.Settings) string {
	switch {
	case s.EffectiveWALLevel == "logical":
		return ""
	case s.EffectiveWALLevel != "":
		return "logical decoding is off on the primary (effective_wal_level " + s.EffectiveWALLevel +
			"): set wal_level = logical there, or keep a logical slot there"
	case s.WALLevel != "logical":
		return "set wal_level = logical"
	}
	return ""
}

// FailoverPrerequisites lists, for each standby, the settings failover slots
// need and it lacks — for the PostgresServer, when one of its logical slots
// asks for failover on PostgreSQL 16+.
func FailoverPrerequisites(snap *observation.Snapshot) []string {
	p := snap.PrimaryMember()
	if p == nil || !p.Identity.LogicalSlotsOnStandby() {
		return nil
	}
	need := SyncPrerequisites
	if !p.Identity.SyncsFailoverSlots() {
		need = KeptCopyPrerequisites
	}
	var out []string
	standbys := streamingStandbys(snap)
	for _, m := range standbys {
		for _, miss := range need(m.Identity.Settings) {
			out = append(out, "standby "+m.Addr()+": "+miss)
		}
	}
	if !p.Identity.SyncsFailoverSlots() {
		return out
	}
	if w := synchronizedStandbySlotsWarning(p.Identity.Settings.SynchronizedStandbySlots, standbySlotNames(standbys)); w != "" {
		out = append(out, w)
	}
	return out
}

// synchronizedStandbySlotsWarning says how to set synchronized_standby_slots
// on the primary when it misses a standby's physical slot: without it a
// consumer can confirm changes a standby has not received, and a failover
// to that standby would lose them for that consumer.
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

// standbySlotNames are the standbys' primary_slot_name settings, the names
// synchronized_standby_slots must list.
func standbySlotNames(standbys []*observation.Member) []string {
	var slots []string
	for _, m := range standbys {
		if s := m.Identity.Settings.PrimarySlotName; s != "" {
			slots = append(slots, s)
		}
	}
	return slots
}
