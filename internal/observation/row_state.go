package observation

import "github.com/slotkeeper/slotkeeper/internal/postgres"

// RowState is what of a slot's row decides an object's next step at the
// moment it changes: whether a consumer holds the slot, and whether
// PostgreSQL invalidated it. An object that saw its slot before any
// snapshot did (it created or read it) is told when the first snapshot
// that lists the slot shows another state; no fingerprint can show that
// change, since no earlier snapshot held the slot.
type RowState struct {
	Active       bool
	Invalidation string
}

// StateOf is the state of row; a creation that read nothing back made an
// idle, valid slot, the zero state.
func StateOf(row *postgres.Slot) RowState {
	if row == nil {
		return RowState{}
	}
	return RowState{Active: row.Active, Invalidation: InvalidationOf(row)}
}

// InvalidationOf names why PostgreSQL invalidated the slot, or is empty:
// 17+ say so; 16 only flags logical slots conflicting; any version shows
// wal_status lost.
func InvalidationOf(row *postgres.Slot) string {
	switch {
	case row.InvalidationReason != "":
		return row.InvalidationReason
	case row.Conflicting && row.RestartLSN != nil:
		// 16 shows every invalidated logical slot as conflicting and lost;
		// only a clash with recovery keeps its restart_lsn.
		return "conflicting"
	case row.WALStatus == "lost", row.Conflicting:
		return "wal_removed"
	}
	return ""
}
