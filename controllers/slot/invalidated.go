package slot

// A slot PostgreSQL invalidated: kept and reported, or dropped and
// recreated with its data gap, as spec.invalidationPolicy says.

import (
	"context"
	"fmt"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Invalidated reports whether PostgreSQL has invalidated the slot: it can
// no longer be used and only recreating it helps.
func Invalidated(row *postgres.Slot) bool {
	return observation.InvalidationOf(row) != ""
}

func (r *Reconciler) handleInvalidated(ctx context.Context, sc *slotScope, row *postgres.Slot) (*status.Outcome, error) {
	why := observation.InvalidationOf(row)
	if sc.rs.Spec.InvalidationPolicy == api.InvalidationKeep {
		return status.Stall(api.ReasonInvalidated, fmt.Sprintf(
			"PostgreSQL invalidated the slot (%s); its consumer cannot continue. Set invalidationPolicy: Recreate, or recreate the object", why)), nil
	}
	if row.Active {
		who, _ := holder(sc, row)
		return status.Retry(api.ReasonSlotActive, fmt.Sprintf(
			"the slot is invalidated (%s) but still in use, and slotkeeper never drops an active slot: %s", why, who)), nil
	}
	if a := r.drop(ctx, sc); a.o != nil {
		return a.o, nil
	}
	r.noteLostTo(sc, r.lossOf(sc, api.ReasonInvalidated, row))
	return r.recreate(ctx, sc, api.ReasonInvalidated, row)
}
