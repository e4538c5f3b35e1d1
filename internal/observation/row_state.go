package observation

import "github.com/slotkeeper/slotkeeper/internal/postgres"

// RowState is what of a slot's row decides an object's next step at the
// moment it changes: whether a consumer holds the slot, whether
// PostgreSQL invalidated it or will at the next checkpoint (wal_status
// unreserved), and whether it retains more WAL than the object's budget
// (spec.maxRetainedWAL). An object that saw its slot
// before any snapshot did (it created or read it) is told when the first
// snapshot that lists the slot shows another state; no fingerprint can
// show that change, since no earlier snapshot held the slot.
type RowState struct {
	Active       bool
	Invalidation string
	Unreserved   bool
	OverBudget   bool
}

// StateOf is the state of row against budget (0: none); a creation that
// read nothing back made an idle, valid slot that retains nothing yet,
// the zero state.
func StateOf(row *postgres.Slot, budget int64) RowState {
	if row == nil {
		return RowState{}
	}
	return RowState{Active: row.Active, Invalidation: InvalidationOf(row), Unreserved: row.WALStatus == "unreserved",
		OverBudget: OverBudget(row, budget)}
}

// OverBudget: the slot retains more WAL than budget, when there is one.
func OverBudget(row *postgres.Slot, budget int64) bool {
	return budget > 0 && row.RetainedBytes != nil && *row.RetainedBytes > budget
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
