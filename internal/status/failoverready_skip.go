package status

// syncSkipReasons explain PostgreSQL 19's pg_replication_slots.
// slotsync_skip_reason on a standby's synced copy: why the slot sync worker
// last skipped it. The values are those of PostgreSQL's documentation for
// 19, untested against a real 19.
var syncSkipReasons = map[string]string{
	"wal_or_rows_removed": "the WAL or catalog rows the primary's slot still needs are already removed (or about to be) on this standby, " +
		"so the copy cannot start there; it syncs once the slot's consumer confirms past what the standby keeps",
	"wal_not_flushed": "this standby has not flushed the WAL up to the primary slot's position yet; " +
		"it syncs once the standby catches up (check its replication lag)",
	"no_consistent_snapshot": "decoding on this standby has not reached a consistent point from the copy's restart_lsn yet; " +
		"it syncs once the primary logs a running-transactions record (any activity there, or pg_log_standby_snapshot())",
	"slot_invalidated": "the copy is invalidated on this standby while the primary's slot is valid; the sync worker drops " +
		"and recreates such a copy, so if this stays, look at the standby's max_slot_wal_keep_size and primary_slot_name",
}

// syncSkipNote is what a DBA reads about a skipped sync, "" when the last
// sync was not skipped or the server does not say (before 19).
func syncSkipNote(reason string) string {
	if reason == "" {
		return ""
	}
	why, ok := syncSkipReasons[reason]
	if !ok {
		return "; the slot sync worker skipped it (slotsync_skip_reason " + reason + ")"
	}
	return "; the slot sync worker skipped it (slotsync_skip_reason " + reason + "): " + why
}
