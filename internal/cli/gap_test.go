package cli

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// The operator compares the annotation as a string: the plugin must write
// exactly what the operator computes, including for non-UTC times.
func TestAckValueMatchesOperator(t *testing.T) {
	at := metav1.NewTime(time.Date(2025, 6, 2, 11, 14, 3, 0, time.FixedZone("CEST", 2*3600)))
	if got, want := ackValue(at), status.AckValue(at); got != want {
		t.Fatalf("ackValue = %q, operator expects %q", got, want)
	}
}

func TestPlanAck(t *testing.T) {
	open := slot("a", gapped)
	cases := []struct {
		name      string
		slot      api.ReplicationSlot
		gapAt     string
		wantNil   bool
		wantValue string
		wantErr   string
		partial   bool
	}{
		{name: "no gap", slot: slot("a"), wantNil: true},
		{name: "whole window", slot: open, wantValue: "2025-06-02T09:50:00Z"},
		{name: "up to the first listed gap", slot: open, gapAt: "2025-06-02T09:00:00Z", wantValue: "2025-06-02T09:00:00Z", partial: true},
		{name: "a zone offset names the same instant", slot: open, gapAt: "2025-06-02T11:00:00+02:00", wantValue: "2025-06-02T09:00:00Z", partial: true},
		{name: "the latest listed gap clears all", slot: open, gapAt: "2025-06-02T09:50:00Z", wantValue: "2025-06-02T09:50:00Z"},
		{name: "unknown time refused", slot: open, gapAt: "2025-06-02T09:30:00Z", wantErr: "the listed gaps are at: 2025-06-02T09:00:00Z, 2025-06-02T09:50:00Z"},
		{name: "not a time", slot: open, gapAt: "yesterday", wantErr: "not an RFC 3339 time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := PlanAck(&c.slot, c.gapAt)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			checkPlan(t, &c.slot, plan, err, c.wantNil, c.wantValue, c.partial)
		})
	}
}

// checkPlan compares a successful plan and asks the operator's code too.
func checkPlan(t *testing.T, rs *api.ReplicationSlot, plan *AckPlan, err error, wantNil bool, value string, partial bool) {
	t.Helper()
	switch {
	case err != nil:
		t.Fatal(err)
	case wantNil != (plan == nil):
		t.Fatalf("plan = %+v", plan)
	case plan == nil:
		return
	}
	if plan.Value != value || plan.Partial != partial {
		t.Errorf("value %q partial %v, want %q %v", plan.Value, plan.Partial, value, partial)
	}
	checkOperatorAgrees(t, rs, plan)
}

// checkOperatorAgrees feeds the planned value to the operator's own
// Acknowledge: a whole-window plan must close the window, a partial one
// must leave exactly the remaining gaps open.
func checkOperatorAgrees(t *testing.T, rs *api.ReplicationSlot, plan *AckPlan) {
	t.Helper()
	out, stillOpen := status.Acknowledge(status.GapRecord{Window: rs.Status.LastDataGap, Gaps: rs.Status.DataGaps}, plan.Value)
	if stillOpen != plan.Partial || len(out.Gaps) != len(plan.Remaining) {
		t.Errorf("operator: open=%v with %d gaps left; plan: partial=%v with %d remaining",
			stillOpen, len(out.Gaps), plan.Partial, len(plan.Remaining))
	}
}

func TestDescribeWindow(t *testing.T) {
	rs := slot("a", gapped)
	got := strings.Join(DescribeWindow(*rs.Status.LastDataGap, now), "\n")
	for _, want := range []string{"from LSN:     0/3000000", "to LSN:       0/5000000", "size:         32.0MiB of WAL",
		"recreations:  2 (latest reason Missing)", "since:        2025-06-02T09:00:00Z (60m ago)", "at:           2025-06-02T09:50:00Z (10m ago)"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}
