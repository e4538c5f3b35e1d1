package observation

import "github.com/slotkeeper/slotkeeper/internal/postgres"

// CopyTarget is where slotkeeper moves its copy of a primary's slot on
// standby m: the primary slot's position (restart_lsn for a physical slot,
// confirmed_flush_lsn for a logical one), never past what m has replayed,
// since a slot cannot be advanced beyond the WAL its server has. ok is
// false when either position is unknown.
func CopyTarget(primary *postgres.Slot, m *Member) (postgres.LSN, bool) {
	pos := copyPosition(primary)
	if pos == nil || m.Identity == nil || m.Identity.WALPosition == 0 {
		return 0, false
	}
	return min(*pos, m.Identity.WALPosition), true
}

// CopyBehind says where a copy slotkeeper keeps on standby m should be
// moved to, and whether it is behind that point. Copies PostgreSQL's slot
// sync worker keeps (synced) are not slotkeeper's to move.
func CopyBehind(primary, copy *postgres.Slot, m *Member) (postgres.LSN, bool) {
	if copy.Synced || copy.Type != primary.Type {
		return 0, false
	}
	target, ok := CopyTarget(primary, m)
	if !ok {
		return 0, false
	}
	at := copyPosition(copy)
	return target, at == nil || *at < target
}

func copyPosition(s *postgres.Slot) *postgres.LSN {
	if s.Type == "logical" {
		return s.ConfirmedFlushLSN
	}
	return s.RestartLSN
}

// SyncPending says whether PostgreSQL's synchronized copy (17+) of a
// primary's logical failover slot is missing or still temporary on
// standby m, whose slot sync worker is switched on: the copy is the
// worker's to make, and it may be down (see copies.NudgeSync).
func SyncPending(primary *postgres.Slot, m *Member) bool {
	if primary.Type != "logical" || !primary.Failover || !SyncWorkerOn(m) {
		return false
	}
	cp, ok := m.Slots[primary.Name]
	return !ok || (cp.Synced && cp.Temporary)
}

// SyncWorkerOn says whether standby m runs PostgreSQL's slot sync worker
// (17+, sync_replication_slots = on).
func SyncWorkerOn(m *Member) bool {
	id := m.Identity
	return id != nil && id.VersionNum >= 170000 && id.Settings.SyncReplicationSlots == "on"
}

// SyncAwaitsPrimary says whether standby m holds a temporary synchronized
// copy of a primary's logical failover slot that a consumer is using:
// attached, or moving the slot (moving: its confirmed position moved
// lately, as a consumer that reads with pg_logical_slot_get_changes now and
// then does, attached only while it reads). The sync worker persists such
// a copy only once the primary's slot has moved past where the copy began
// (its restart_lsn and catalog_xmin), and the primary's slot moves only
// where decoding meets a running-xacts record: with a consumer, one fresh
// record makes the copy persistent. Without one nothing would move the
// slot, so a record would only add WAL.
func SyncAwaitsPrimary(primary *postgres.Slot, m *Member, moving bool) bool {
	if primary == nil || !(primary.Active || moving) || !SyncPending(primary, m) {
		return false
	}
	_, present := m.Slots[primary.Name]
	return present
}
