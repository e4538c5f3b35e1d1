package cli

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestNextSteps(t *testing.T) {
	cases := []struct {
		name  string
		slot  api.ReplicationSlot
		first string
	}{
		{"healthy", slot("a", activeBy("app", false)), "Nothing: the slot is healthy."},
		{"gap first", slot("a", gapped), "kubectl slotkeeper ack a -n ns"},
		{"server down", slot("a", withCond(cond(api.ConditionReady, metav1.ConditionFalse, api.ReasonServerUnavailable))),
			"docs/runbook.md#server-down-or-split-brain"},
		{"stale consumer", slot("a", activeBy("app", true)), "SELECT pg_terminate_backend(4711)"},
		{"idle", slot("a"), "docs/runbook.md#slot-without-a-consumer"},
		{"lost, not back yet", slot("a", lost), "went missing on db-0:5432 at 2026-12-06 02:00:00Z (Missing)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := NextSteps(&c.slot, nil)
			if !strings.Contains(steps[0], c.first) {
				t.Errorf("first step %q, want it to contain %q", steps[0], c.first)
			}
		})
	}
}

func TestNextStepsNamesHAManager(t *testing.T) {
	rs := slot("a", activeBy("app", false))
	ps := server("db", func(ps *api.PostgresServer) {
		ps.Status.HAManager = &api.HAManagerStatus{Name: "Patroni", Uncovered: []string{"a"}}
	})
	if steps := NextSteps(&rs, &ps); !strings.Contains(steps[0], "Patroni would drop this slot") {
		t.Errorf("steps = %v", steps)
	}
}

func TestTableColoursWholeLines(t *testing.T) {
	tab := &Table{Headers: []string{"A", "B"}}
	tab.Add(LevelCritical, "x", "y")
	tab.Add(LevelOK, "longer", "z")
	var b strings.Builder
	if err := tab.Write(&b, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[1] != "\x1b[31mx        y\x1b[0m" || lines[2] != "longer   z" {
		t.Errorf("got %q", lines)
	}
}

// lost: the slot went missing and its recreation is refused.
func lost(rs *api.ReplicationSlot) {
	rs.Status.Loss = &api.SlotLoss{Member: "db-0:5432", Timeline: 1, Reason: api.ReasonMissing, FromLSN: "0/3000148",
		Since: metav1.NewTime(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))}
	rs.Status.Conditions = []metav1.Condition{cond(api.ConditionReady, metav1.ConditionFalse, api.ReasonPermissionDenied)}
}
