// Package copies decides who keeps a failover slot's copies on standbys.
// The copies phase of the slot reconciler and the FailoverReady judgement
// both ask it, so the two cannot disagree.
package copies

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Strategy says who keeps standby copies of one slot.
type Strategy int

const (
	// None: the slot does not ask for failover, so it has no copies.
	None Strategy = iota
	// Physical: slotkeeper keeps physical copies, at the primary's
	// restart_lsn, on every version.
	Physical
	// KeptLogical: slotkeeper keeps logical copies, at the primary's
	// confirmed_flush_lsn (PostgreSQL 16).
	KeptLogical
	// Native: PostgreSQL's slot sync worker keeps them (17+).
	Native
	// Unsupported: a logical failover slot on a version that can keep no
	// logical slot on a standby (15): a failover recreates it.
	Unsupported
)

// For is the strategy of a slot of this type that asks for failover (or
// not), on a cluster whose primary is primary.
func For(typ api.SlotType, failover bool, primary *postgres.Identity) Strategy {
	switch {
	case !failover:
		return None
	case typ == api.SlotPhysical:
		return Physical
	case primary.SyncsFailoverSlots():
		return Native
	case primary.LogicalSlotsOnStandby():
		return KeptLogical
	}
	return Unsupported
}

// KeptBySlotkeeper reports whether slotkeeper itself creates, advances and
// drops the copies.
func (s Strategy) KeptBySlotkeeper() bool { return s == Physical || s == KeptLogical }
