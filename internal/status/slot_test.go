package status

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

func i64(v int64) *int64 { return &v }

func TestSlotConditionsKstatus(t *testing.T) {
	cases := []struct {
		name        string
		phase       Phase
		ready       metav1.ConditionStatus
		reconciling bool
		stalled     bool
	}{
		{"available", Available, metav1.ConditionTrue, false, false},
		{"progressing", Progressing, metav1.ConditionFalse, true, false},
		{"retrying", Retrying, metav1.ConditionFalse, true, false},
		{"stalled", Stalled, metav1.ConditionFalse, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Start from the opposite state so stale conditions must be removed.
			start := SlotConditions(nil, SlotInputs{Generation: 1, Outcome: Outcome{Phase: Stalled, Reason: "X"}})
			start = SlotConditions(start, SlotInputs{Generation: 1, Outcome: Outcome{Phase: Progressing, Reason: "Y"}})
			got := SlotConditions(start, SlotInputs{Generation: 3, Outcome: Outcome{Phase: tc.phase, Reason: "R", Message: "m"}})
			ready := meta.FindStatusCondition(got, api.ConditionReady)
			if ready == nil || ready.Status != tc.ready || ready.ObservedGeneration != 3 || ready.Reason != "R" {
				t.Fatalf("Ready = %+v", ready)
			}
			if has(got, api.ConditionReconciling) != tc.reconciling || has(got, api.ConditionStalled) != tc.stalled {
				t.Fatalf("Reconciling/Stalled wrong: %+v", got)
			}
			if has(got, api.ConditionReconciling) && has(got, api.ConditionStalled) {
				t.Fatal("Reconciling and Stalled together")
			}
		})
	}
}

func has(conds []metav1.Condition, t string) bool { return meta.FindStatusCondition(conds, t) != nil }

func TestSlotConditionsKeepsTransitionTime(t *testing.T) {
	first := SlotConditions(nil, SlotInputs{Generation: 1, Outcome: Outcome{Phase: Available, Reason: "A"}})
	past := metav1.NewTime(time.Now().Add(-time.Hour))
	first[0].LastTransitionTime = past
	again := SlotConditions(first, SlotInputs{Generation: 2, Outcome: Outcome{Phase: Available, Reason: "A"}})
	if !meta.FindStatusCondition(again, api.ConditionReady).LastTransitionTime.Equal(&past) {
		t.Fatal("unchanged status must keep its transition time")
	}
	if first[0].ObservedGeneration != 1 {
		t.Fatal("input slice was modified")
	}
}

func TestWALRetention(t *testing.T) {
	cases := []struct {
		name   string
		in     SlotInputs
		status metav1.ConditionStatus
		reason string
		// message parts, when the message matters
		says []string
	}{
		{"not observed", SlotInputs{}, "", "", nil},
		{"within budget", SlotInputs{Observed: true, WALStatus: "reserved", RetainedBytes: i64(10), BudgetBytes: i64(100)}, metav1.ConditionTrue, api.ReasonWithinBudget, nil},
		{"no budget", SlotInputs{Observed: true, WALStatus: "reserved", RetainedBytes: i64(1 << 40)}, metav1.ConditionTrue, api.ReasonWithinBudget, nil},
		{"over budget", SlotInputs{Observed: true, WALStatus: "extended", RetainedBytes: i64(200), BudgetBytes: i64(100)}, metav1.ConditionFalse, api.ReasonOverBudget, nil},
		{"over budget says figure, budget, headroom and holder", SlotInputs{Observed: true, WALStatus: "extended", RetainedBytes: i64(3 << 30), BudgetBytes: i64(1 << 30),
			SafeWALSizeBytes: i64(512 << 20), HeldBack: "no consumer since 2026-11-22T03:00:00Z"}, metav1.ConditionFalse, api.ReasonOverBudget,
			[]string{"retains 3.0GiB", "budget of 1.0GiB", "512.0MiB more WAL until max_slot_wal_keep_size", "no consumer since 2026-11-22T03:00:00Z"}},
		{"unreserved", SlotInputs{Observed: true, WALStatus: "unreserved", RetainedBytes: i64(1), HeldBack: "consumer debezium (pid 7)"}, metav1.ConditionFalse, api.ReasonUnreserved,
			[]string{"invalidated at the next checkpoint", "consumer debezium (pid 7)"}},
		{"lost", SlotInputs{Observed: true, WALStatus: "lost"}, metav1.ConditionFalse, api.ReasonLost, []string{"removed WAL"}},
		{"lost, WAL removed", SlotInputs{Observed: true, WALStatus: "lost", InvalidationReason: "wal_removed"}, metav1.ConditionFalse, api.ReasonLost, []string{"removed WAL"}},
		{"lost to another cause", SlotInputs{Observed: true, WALStatus: "lost", InvalidationReason: "wal_level_insufficient"}, metav1.ConditionFalse, api.ReasonLost,
			[]string{"invalidated (wal_level_insufficient)", "Ready condition"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := meta.FindStatusCondition(SlotConditions(nil, tc.in), api.ConditionWALRetentionHealthy)
			if tc.status == "" {
				if got != nil {
					t.Fatalf("want no condition, got %+v", got)
				}
				return
			}
			if got == nil || got.Status != tc.status || got.Reason != tc.reason {
				t.Fatalf("got %+v", got)
			}
			for _, part := range tc.says {
				if !strings.Contains(got.Message, part) {
					t.Errorf("%q lacks %q", got.Message, part)
				}
			}
		})
	}
}

func TestDataGap(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	gap := &api.DataGap{Reason: api.ReasonMissing, FromLSN: "0/1000", ToLSN: "0/2000", At: at}
	got := meta.FindStatusCondition(SlotConditions(nil, SlotInputs{Gap: gap}), api.ConditionDataGap)
	if got == nil || got.Status != metav1.ConditionTrue || got.Reason != api.ReasonMissing {
		t.Fatalf("got %+v", got)
	}
	for _, want := range []string{"0/1000", "0/2000", "2026-01-02T03:04:05Z", api.AnnotationAcknowledgeDataGap} {
		if !contains(got.Message, want) {
			t.Errorf("message %q lacks %q", got.Message, want)
		}
	}
	if has(SlotConditions(nil, SlotInputs{Gap: gap, Acknowledged: true}), api.ConditionDataGap) {
		t.Fatal("an acknowledged gap must not show")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestFormatBytes(t *testing.T) {
	cases := map[int64]string{0: "0B", 1023: "1023B", 1024: "1.0KiB", 1536: "1.5KiB", 16 << 20: "16.0MiB", 5 << 30: "5.0GiB", -2048: "-2.0KiB"}
	for in, want := range cases {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestQuantizeBytes(t *testing.T) {
	cases := map[int64]int64{0: 0, 100: 100, 16 << 20: 16 << 20, 16<<20 + 5: 16 << 20, 40 << 20: 32 << 20}
	for in, want := range cases {
		if got := observation.QuantizeBytes(in); got != want {
			t.Errorf("QuantizeBytes(%d) = %d, want %d", in, got, want)
		}
	}
}
