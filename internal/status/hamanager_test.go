package status

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestHACoverage(t *testing.T) {
	cases := []struct {
		name   string
		in     HAInputs
		status metav1.ConditionStatus // "" for no condition
		reason string
		says   []string
	}{
		{"no HA manager", HAInputs{}, "", "", nil},
		{"Patroni seen, not configured", HAInputs{Detected: HAManagerPatroni, Declared: 2}, metav1.ConditionUnknown, api.ReasonUnknown,
			[]string{"Patroni runs this cluster", "ignore_slots", "spec.patroni.urls", "2 declared"}},
		{"CloudNativePG seen", HAInputs{Detected: HAManagerCNPG}, metav1.ConditionTrue, api.ReasonCovered, []string{"excludePatterns"}},
		{"Report, uncovered", HAInputs{Configured: true, Mode: api.IgnoreSlotsReport, Declared: 2, Uncovered: []string{"orders_cdc"}},
			metav1.ConditionFalse, api.ReasonNotCovered, []string{"1 of 2", "orders_cdc", "patronictl edit-config", "ignore_slots: [{name: orders_cdc}]"}},
		{"Manage, reverted", HAInputs{Configured: true, Mode: api.IgnoreSlotsManage, Declared: 1, Uncovered: []string{"a"}},
			metav1.ConditionFalse, api.ReasonNotCovered, []string{"reverted"}},
		{"covered", HAInputs{Configured: true, Mode: api.IgnoreSlotsManage, Declared: 3, Entries: 3}, metav1.ConditionTrue, api.ReasonCovered,
			[]string{"all 3", "keeps 3 ignore_slots entries"}},
		{"unreachable", HAInputs{Configured: true, ErrReason: api.ReasonHAManagerUnreachable, ErrMessage: "dial tcp: refused"},
			metav1.ConditionUnknown, api.ReasonHAManagerUnreachable, []string{"dial tcp: refused", "spec.patroni.urls", "still created"}},
		{"unauthorized", HAInputs{Configured: true, ErrReason: api.ReasonHAManagerUnauthorized, ErrMessage: "401"},
			metav1.ConditionFalse, api.ReasonHAManagerUnauthorized, []string{"credentialsSecretRef", "allowlist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := HACoverage(c.in)
			if c.status == "" {
				if got != nil {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if got == nil || got.Status != c.status || got.Reason != c.reason {
				t.Fatalf("got %+v, want %s/%s", got, c.status, c.reason)
			}
			for _, s := range c.says {
				if !strings.Contains(got.Message, s) {
					t.Errorf("%q lacks %q", got.Message, s)
				}
			}
		})
	}
}

func TestVanishedNote(t *testing.T) {
	patroni := &api.HAManagerStatus{Name: HAManagerPatroni}
	if VanishedNote(api.ReasonFailover, patroni, "a") != "" || VanishedNote(api.ReasonMissing, nil, "a") != "" {
		t.Fatal("a note for a failover, or with no HA manager")
	}
	if n := VanishedNote(api.ReasonMissing, patroni, "orders_cdc"); !strings.Contains(n, "most likely dropped") || !strings.Contains(n, "{name: orders_cdc}") {
		t.Fatalf("note %q", n)
	}
	if n := UncoveredNote(&api.HAManagerStatus{Name: HAManagerPatroni, Uncovered: []string{"b"}}, "b"); !strings.Contains(n, "will drop this slot") {
		t.Fatalf("uncovered note %q", n)
	}
}

func TestForeignCopyNote(t *testing.T) {
	if n := ForeignCopyNote(&api.HAManagerStatus{Name: HAManagerCNPG}); !strings.Contains(n, "excludePatterns") || strings.Contains(n, "drop it there") {
		t.Fatalf("CloudNativePG note %q", n)
	}
	if n := ForeignCopyNote(nil); !strings.Contains(n, "drop it there") {
		t.Fatalf("note %q", n)
	}
	if n := VanishedNote(api.ReasonMissing, &api.HAManagerStatus{Name: HAManagerCNPG}, "a"); !strings.Contains(n, "excludePatterns") {
		t.Fatalf("CloudNativePG vanished note %q", n)
	}
}
