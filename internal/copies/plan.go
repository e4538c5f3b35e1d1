package copies

// Standby is what the copies phase knows of one standby, for one slot.
type Standby struct {
	// Strategy is the slot's (For).
	Strategy Strategy
	// Recorded: status.copies has a record for this standby; Former: that
	// record is a former primary's slot, left behind by a failover.
	Recorded, Former bool
	// Present: a slot of this name is on the standby. StaleFailover: that
	// slot has the failover property, is not synchronized and matches the
	// spec, which on 17+ is a former primary's slot, not a synced copy.
	Present, StaleFailover bool
	// Creating: slotkeeper's creation of the copy is under way.
	Creating bool
	// Unready: PostgreSQL's synchronized copy (17+) is missing or still
	// temporary, on a standby whose slot sync worker is switched on.
	Unready bool
}

// Action is what the copies phase does on one standby.
type Action int

const (
	// Leave the standby alone.
	Leave Action = iota
	// DropStale drops a former primary's leftover slot.
	DropStale
	// DropCopy drops slotkeeper's recorded copy: the slot no longer asks
	// for copies slotkeeper keeps.
	DropCopy
	// ReportForeign reports a slot slotkeeper did not make under the name.
	ReportForeign
	// KeepPhysical creates or advances a physical copy.
	KeepPhysical
	// KeepLogical creates or advances a logical copy (16).
	KeepLogical
	// NudgeSync asks the standby for one slot synchronization now: its
	// worker may be down for 10 s or more (it exits on errors and the
	// postmaster restarts it only after that), and PostgreSQL refuses the
	// request while the worker runs.
	NudgeSync
)

// Decide is the copies phase's decision for one standby. Only recorded
// slots are ever changed or dropped; a slot of the name that slotkeeper
// did not make is reported, never touched.
func Decide(s Standby) Action {
	switch {
	case s.Recorded && s.Former:
		return DropStale
	case s.Strategy == Native:
		switch {
		case s.Present && s.StaleFailover:
			return DropStale
		case s.Unready:
			return NudgeSync
		}
		return Leave
	case !s.Strategy.KeptBySlotkeeper():
		return DropCopy
	case !s.Recorded && s.Present && !s.Creating:
		return ReportForeign
	case s.Strategy == Physical:
		return KeepPhysical
	}
	return KeepLogical
}
