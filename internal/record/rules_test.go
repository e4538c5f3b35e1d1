package record

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

func TestQuietTransition(t *testing.T) {
	none := metav1.Condition{}
	creating := metav1.Condition{Type: api.ConditionReady, Status: metav1.ConditionFalse, Reason: api.ReasonCreating}
	ready := metav1.Condition{Type: api.ConditionReady, Status: metav1.ConditionTrue, Reason: api.ReasonAvailable}
	denied := metav1.Condition{Type: api.ConditionReady, Status: metav1.ConditionFalse, Reason: api.ReasonPermissionDenied}
	cases := []struct {
		name      string
		old, cur  metav1.Condition
		phase     status.Phase
		announced bool
		want      bool
	}{
		{"a new object's first step", none, creating, status.Progressing, false, true},
		{"a new object refused at once", none, denied, status.Stalled, false, false},
		{"a new object that cannot reach its server yet", none, creating, status.Retrying, false, false},
		{"created and ready in one reconcile", none, ready, status.Available, true, true},
		{"a creation under way that ends", creating, ready, status.Available, true, true},
		{"ready again without an announcement (consumer left, server back)", denied, ready, status.Available, false, false},
		{"a ready slot that fails", ready, denied, status.Stalled, false, false},
	}
	for _, tc := range cases {
		if got := Quiet(tc.old, tc.cur, tc.phase, tc.announced); got != tc.want {
			t.Errorf("%s: quiet = %v, want %v", tc.name, got, tc.want)
		}
	}
}
