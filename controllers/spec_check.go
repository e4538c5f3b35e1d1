package controllers

import (
	"context"
	"strings"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// checkSpec stops at a spec whose values cannot be used: one stored before
// the CRD's rules refused them, or with validation off. Only this object
// stalls; the rest of the kind is reconciled as usual.
func checkSpec(_ context.Context, sc *slotScope) (*status.Outcome, error) {
	return invalidSpec(sc.rs.Spec.Problems()), nil
}

// invalidSpec is the Stalled outcome for a spec's problems, nil without any.
func invalidSpec(problems []string) *status.Outcome {
	if len(problems) == 0 {
		return nil
	}
	return stalled(api.ReasonInvalidSpec, strings.Join(problems, "; ")+
		"; correct the value (kubectl edit), the rest of the object waits until then")
}
