package cli

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// AckPlan is what `ack` would acknowledge and the annotation value that
// does it.
type AckPlan struct {
	// Value is the annotation value: the window's at, or one listed gap's.
	Value string
	// Window is the whole open window (status.lastDataGap).
	Window api.DataGap
	// Cleared are the listed gaps the value clears, oldest first; with
	// --gap, Remaining are the later ones that stay open.
	Cleared, Remaining []api.DataGap
	// Partial is true with --gap short of the latest gap.
	Partial bool
}

// PlanAck works out the acknowledgement the way the operator will read it
// (internal/status.Acknowledge): the window's at clears everything, a
// listed gap's at clears it and every older one, anything else nothing.
// A nil plan means there is no open gap. gapAt is --gap, "" for all.
func PlanAck(rs *api.ReplicationSlot, gapAt string) (*AckPlan, error) {
	if _, open := conditionIs(rs.Status.Conditions, api.ConditionDataGap, metav1.ConditionTrue); !open {
		return nil, nil
	}
	w := rs.Status.LastDataGap
	if w == nil {
		return nil, fmt.Errorf("rslot/%s has DataGap=True but no status.lastDataGap: is the operator up to date?", rs.Name)
	}
	plan := &AckPlan{Value: ackValue(w.At), Window: *w, Cleared: rs.Status.DataGaps}
	if gapAt == "" {
		return plan, nil
	}
	return planListedAck(plan, rs.Status.DataGaps, gapAt)
}

// planListedAck narrows the plan to the listed gap recorded at gapAt.
func planListedAck(plan *AckPlan, gaps []api.DataGap, gapAt string) (*AckPlan, error) {
	t, err := time.Parse(time.RFC3339, gapAt)
	if err != nil {
		return nil, fmt.Errorf("--gap %q is not an RFC 3339 time; use the at of one of status.dataGaps", gapAt)
	}
	want := ackValue(metav1.NewTime(t))
	last := -1
	for i := range gaps {
		if ackValue(gaps[i].At) == want {
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("no listed gap was recorded at %s; the listed gaps are at: %s", want, listedAts(gaps))
	}
	plan.Value = want
	plan.Cleared, plan.Remaining = gaps[:last+1], gaps[last+1:]
	plan.Partial = len(plan.Remaining) > 0
	return plan, nil
}

func listedAts(gaps []api.DataGap) string {
	if len(gaps) == 0 {
		return "(none listed; acknowledge the whole window without --gap)"
	}
	ats := make([]string, len(gaps))
	for i := range gaps {
		ats[i] = ackValue(gaps[i].At)
	}
	return strings.Join(ats, ", ")
}

// DescribeWindow is the window in plain words, one fact a line, for
// `ack` and `explain`.
func DescribeWindow(w api.DataGap, now time.Time) []string {
	lines := []string{
		"from LSN:     " + orUnknown(w.FromLSN),
		"to LSN:       " + orUnknown(w.ToLSN),
		"size:         " + bytesOr(w.Bytes, "unknown") + " of WAL",
		fmt.Sprintf("recreations:  %d (latest reason %s)", max(w.Recreations, 1), w.Reason),
	}
	if w.Since != nil {
		lines = append(lines, fmt.Sprintf("since:        %s (%s ago)", ackValue(*w.Since), age(now, w.Since)))
	}
	at := w.At
	return append(lines, fmt.Sprintf("at:           %s (%s ago)", ackValue(at), age(now, &at)))
}

// orUnknown says "unknown" where the operator could not tell, which for
// fromLSN means the loss may start anywhere before toLSN.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// gapTable lists individual gaps.
func gapTable(gaps []api.DataGap) *Table {
	t := &Table{Headers: []string{"AT", "REASON", "FROM LSN", "TO LSN", "SIZE"}}
	for _, g := range gaps {
		t.Add(LevelOK, ackValue(g.At), g.Reason, orUnknown(g.FromLSN), orUnknown(g.ToLSN), bytesOr(g.Bytes, "unknown"))
	}
	return t
}
