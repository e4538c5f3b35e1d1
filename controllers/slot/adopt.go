package slot

import (
	"fmt"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// adopt takes an existing slot that matches the spec for this object, or
// says why it may not: another namespace holds it, spec.adoption is Never,
// or a standby streams through it.
func (r *Reconciler) adopt(sc *slotScope) *status.Outcome {
	// Another namespace's object that holds the slot comes first, even
	// before this object's recorded intent: while the intent stood, that
	// holder counted this object as creating the slot (otherTeamHolder)
	// and would not have adopted a slot it made. So a slot held elsewhere
	// was made by another creation, and an intent left by a creation whose
	// outcome was unknown (a connection lost mid-statement, an endpoint
	// changed since) must not take it: deleting this object would drop
	// that team's slot.
	if sc.heldElsewhere != "" {
		return status.Stall(api.ReasonConflict, sc.heldElsewhere)
	}
	if sc.rs.Status.Origin == api.OriginCreated {
		// This object recorded the intent to create it before doing so
		// (recordCreationIntent), and the operator stopped before recording
		// the result: its own creation made it, no adoption rule applies.
		sc.rs.Status.Owned = true
		sc.announce("Normal", api.ReasonAdopted, record.ActionAdopt,
			"took over slot %q on %s, made by this object's own creation before the operator stopped", sc.name, sc.target.Addr())
		return nil
	}
	if sc.rs.Spec.Adoption == api.AdoptNever {
		return status.Stall(api.ReasonConflict, fmt.Sprintf(
			"slot %q already exists on %s and spec.adoption is Never; drop it yourself or set adoption: IfMatching", sc.name, sc.target.Addr()))
	}
	if who := standbyStreaming(sc); who != "" && sc.rs.Spec.Adoption != api.AdoptIfMatchingWithStandby {
		return status.Stall(api.ReasonConflict, fmt.Sprintf(
			"slot %q on %s is the one %s streams through: slotkeeper does not adopt it unless asked; "+
				"set adoption: IfMatchingWithStandby if this object is to own it", sc.name, sc.target.Addr(), who))
	}
	sc.rs.Status.Owned, sc.rs.Status.Origin = true, api.OriginAdopted
	sc.announce("Normal", api.ReasonAdopted, record.ActionAdopt,
		"adopted existing slot %q on %s", sc.name, sc.target.Addr())
	return nil
}

// mismatch explains how an existing slot differs from the spec, or returns
// "" when it matches.
func mismatch(rs *api.ReplicationSlot, row *postgres.Slot) string {
	name := rs.SlotName()
	want := "physical"
	if rs.Spec.Type == api.SlotLogical {
		want = "logical"
	}
	switch {
	case row.Temporary:
		return fmt.Sprintf("slot %q exists as a temporary slot of another session", name)
	case row.Type != want:
		return fmt.Sprintf("slot %q exists as a %s slot, the spec asks for %s", name, row.Type, want)
	case want == "logical" && row.Plugin != rs.PluginName():
		return fmt.Sprintf("slot %q exists with plugin %s, the spec asks for %s", name, row.Plugin, rs.PluginName())
	case want == "logical" && row.Database != rs.Spec.Database:
		return fmt.Sprintf("slot %q exists for database %s, the spec asks for %s", name, row.Database, rs.Spec.Database)
	}
	return ""
}

// standbyStreaming names what streams through the slot as a standby, or
// "": a member whose primary_slot_name is the slot, or, for a physical
// slot, any active connection (a standby of another cluster member list,
// pg_receivewal). Its owner manages that slot.
func standbyStreaming(sc *slotScope) string {
	if m := status.StreamingMember(sc.snap, sc.name); m != nil {
		return "standby " + m.Addr()
	}
	if row := sc.row; row != nil && row.Type == "physical" && row.Active {
		who, _ := holder(sc, row)
		return "a physical replication connection (" + who + ")"
	}
	return ""
}
