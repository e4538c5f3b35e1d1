package slot

import (
	"context"

	"github.com/slotkeeper/slotkeeper/internal/status"
)

// checkSpec stops at a spec whose values cannot be used: one stored before
// the CRD's rules refused them, or with validation off. Only this object
// stalls; the rest of the kind is reconciled as usual.
func checkSpec(_ context.Context, sc *slotScope) (*status.Outcome, error) {
	return status.InvalidSpec(sc.rs.Spec.Problems()), nil
}
