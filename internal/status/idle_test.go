package status

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestIdleInvalidation(t *testing.T) {
	since := time.Date(2026, 12, 4, 10, 0, 0, 123456000, time.UTC)
	lsn := postgres.LSN(0x3000000)
	idle := func(mod func(*postgres.Slot)) *postgres.Slot {
		s := &postgres.Slot{Name: "s", Type: "physical", InactiveSince: &since, RestartLSN: &lsn, WALStatus: "reserved"}
		if mod != nil {
			mod(s)
		}
		return s
	}
	server := func(version int, timeout string, inRecovery bool) *postgres.Identity {
		return &postgres.Identity{VersionNum: version, InRecovery: inRecovery,
			Settings: postgres.Settings{IdleReplicationSlotTimeout: timeout}}
	}
	tests := []struct {
		name     string
		row      *postgres.Slot
		id       *postgres.Identity
		wantAt   string // "" for no deadline
		standby  bool
		settings string
	}{
		{"18 primary, 1 day", idle(nil), server(180004, "1d", false), "2026-12-05T10:00:00Z", false, "1d"},
		{"logical slot too", idle(func(s *postgres.Slot) { s.Type = "logical" }), server(180004, "30min", false), "2026-12-04T10:30:00Z", false, "30min"},
		{"timeout off", idle(nil), server(180004, "0", false), "", false, ""},
		{"setting unreadable", idle(nil), server(180004, "", false), "", false, ""},
		{"17 has no such timeout", idle(nil), server(170010, "1d", false), "", false, ""},
		{"active", idle(func(s *postgres.Slot) { s.Active, s.InactiveSince = true, nil }), server(180004, "1d", false), "", false, ""},
		{"no WAL reserved", idle(func(s *postgres.Slot) { s.RestartLSN = nil }), server(180004, "1d", false), "", false, ""},
		{"already invalidated", idle(func(s *postgres.Slot) { s.InvalidationReason, s.WALStatus = "idle_timeout", "lost" }), server(180004, "1d", false), "", false, ""},
		{"lost on 16-style reporting", idle(func(s *postgres.Slot) { s.WALStatus = "lost" }), server(180004, "1d", false), "", false, ""},
		{"synced copy on a standby is skipped", idle(func(s *postgres.Slot) { s.Synced = true }), server(180004, "1d", true), "", false, ""},
		{"standby's own slot", idle(nil), server(180004, "1h", true), "2026-12-04T11:00:00Z", true, "1h"},
		{"synced leftover on a primary counts", idle(func(s *postgres.Slot) { s.Synced = true }), server(180004, "1h", false), "2026-12-04T11:00:00Z", false, "1h"},
		{"19", idle(nil), server(190000, "10s", false), "2026-12-04T10:00:10Z", false, "10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := IdleInvalidation(tt.row, tt.id)
			if tt.wantAt == "" {
				if d != nil {
					t.Fatalf("deadline %+v, want none", d)
				}
				return
			}
			if d == nil || d.At.Format(time.RFC3339) != tt.wantAt || d.Standby != tt.standby || d.Setting != tt.settings {
				t.Fatalf("deadline %+v, want at %s standby %v", d, tt.wantAt, tt.standby)
			}
			if !d.InactiveSince.Equal(since.Truncate(time.Second)) {
				t.Fatalf("inactive since %s", d.InactiveSince)
			}
		})
	}
	if IdleInvalidation(nil, server(180004, "1d", false)) != nil || IdleInvalidation(idle(nil), nil) != nil {
		t.Fatal("nil row or identity must give no deadline")
	}
}

func TestRetentionIdleNote(t *testing.T) {
	since := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	d := &IdleDeadline{InactiveSince: since, At: since.Add(24 * time.Hour), Setting: "1d"}
	want := "inactive since 2026-12-04T10:00:00Z: PostgreSQL invalidates it at the first checkpoint after 2026-12-05T10:00:00Z (idle_replication_slot_timeout = 1d) unless a consumer connects"
	tests := []struct {
		name       string
		in         SlotInputs
		status     metav1.ConditionStatus
		reason     string
		wantPrefix string
		note       bool
	}{
		{"within budget", SlotInputs{Observed: true, RetainedBytes: i64(1 << 20), Idle: d},
			metav1.ConditionTrue, api.ReasonWithinBudget, "retains 1.0MiB of WAL; ", true},
		{"over budget keeps its reason", SlotInputs{Observed: true, RetainedBytes: i64(2 << 30), BudgetBytes: i64(1 << 30), Idle: d},
			metav1.ConditionFalse, api.ReasonOverBudget, "retains 2.0GiB of WAL, over the budget", true},
		{"unreserved", SlotInputs{Observed: true, WALStatus: "unreserved", Idle: d},
			metav1.ConditionFalse, api.ReasonUnreserved, "the slot retains more WAL than max_slot_wal_keep_size", true},
		{"no figures", SlotInputs{Observed: true, Idle: d}, metav1.ConditionTrue, api.ReasonWithinBudget, "inactive since", true},
		{"lost gets no note", SlotInputs{Observed: true, WALStatus: "lost", Idle: d}, metav1.ConditionFalse, api.ReasonLost, "PostgreSQL removed", false},
		{"timeout off", SlotInputs{Observed: true, RetainedBytes: i64(1 << 20)}, metav1.ConditionTrue, api.ReasonWithinBudget, "retains 1.0MiB of WAL", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := meta.FindStatusCondition(SlotConditions(nil, tt.in), api.ConditionWALRetentionHealthy)
			if c == nil || c.Status != tt.status || c.Reason != tt.reason || !strings.HasPrefix(c.Message, tt.wantPrefix) {
				t.Fatalf("condition %+v", c)
			}
			if got := strings.HasSuffix(c.Message, want); got != tt.note {
				t.Fatalf("note present %v, want %v: %q", got, tt.note, c.Message)
			}
			if tt.note && RetentionStableText(c.Message) != want {
				t.Fatalf("stable text %q", RetentionStableText(c.Message))
			}
			if !tt.note && RetentionStableText(c.Message) != "" {
				t.Fatalf("stable text %q for a message without the note", RetentionStableText(c.Message))
			}
		})
	}
	d.Standby = true
	if n := idleNote(d); !strings.Contains(n, "first restartpoint after") {
		t.Fatalf("standby note %q", n)
	}
}
