package slot

import (
	"context"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// checkSpec stops at a spec whose values cannot be used: one stored before
// the CRD's rules refused them, or with validation off. Only this object
// stalls; the rest of the kind is reconciled as usual.
//
// The slot name PostgreSQL 19 keeps for its own conflict detection is
// refused here too: slotkeeper must never adopt that slot, and the SQL
// layer's refusal alone would only show up as errors on every action.
func checkSpec(_ context.Context, sc *slotScope) (*status.Outcome, error) {
	problems := sc.rs.Spec.Problems()
	if sc.rs.SlotName() == postgres.ConflictDetectionSlot {
		problems = append(problems, "the slot name "+postgres.ConflictDetectionSlot+
			" is PostgreSQL's own (the conflict detection slot of subscriptions with retain_dead_tuples): choose another spec.slotName or object name")
	}
	return status.InvalidSpec(problems), nil
}
