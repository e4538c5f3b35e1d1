package cli

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestSlotRisk(t *testing.T) {
	cases := []struct {
		name  string
		slot  api.ReplicationSlot
		level Level
		first string
	}{
		{"active and healthy", slot("a", activeBy("app", false)), LevelOK, ""},
		{"inactive is only info", slot("a"), LevelInfo, "no consumer"},
		{"open data gap is critical", slot("a", gapped), LevelCritical, "unacknowledged data gap"},
		{"not ready names the reason", slot("a", withCond(cond(api.ConditionReady, metav1.ConditionFalse, api.ReasonServerUnavailable))),
			LevelCritical, "not ready (ServerUnavailable)"},
		{"stalled comes first", slot("a", withCond(cond(api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)), gapped),
			LevelCritical, "stalled (Conflict)"},
		{"unreserved WAL is critical", slot("a", func(rs *api.ReplicationSlot) { rs.Status.WALStatus = "unreserved" }),
			LevelCritical, "WAL unreserved: invalidated at the next checkpoint"},
		{"over budget warns", slot("a", activeBy("app", false), withCond(cond(api.ConditionWALRetentionHealthy, metav1.ConditionFalse, api.ReasonOverBudget))),
			LevelWarning, "over WAL budget"},
		{"stale consumer warns", slot("a", activeBy("app", true)), LevelWarning, "consumer looks stale"},
		{"failover not ready warns only with spec.failover",
			slot("a", activeBy("app", false), withCond(cond(api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonNotSynced)),
				func(rs *api.ReplicationSlot) { rs.Spec.Failover = true }),
			LevelWarning, "not failover-ready (NotSynced)"},
		{"failover condition ignored without spec.failover",
			slot("a", activeBy("app", false), withCond(cond(api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonNotSynced))),
			LevelOK, ""},
		{"no status yet warns", slot("a", func(rs *api.ReplicationSlot) { rs.Status = api.ReplicationSlotStatus{} }),
			LevelWarning, "no status yet: is the operator running?"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRisk(t, SlotRisk(&c.slot), c.level, c.first) })
	}
}

// checkRisk compares the level and the headline issue.
func checkRisk(t *testing.T, r Risk, level Level, first string) {
	t.Helper()
	got := ""
	if len(r.Issues) > 0 {
		got = r.Issues[0]
	}
	if r.Level != level || got != first {
		t.Errorf("got %s %q, want %s %q (issues %v)", r.Level, got, level, first, r.Issues)
	}
}

func TestServerRisk(t *testing.T) {
	cases := []struct {
		name   string
		server api.PostgresServer
		level  Level
		why    string
	}{
		{"healthy", server("a"), LevelOK, "-"},
		{"split brain", server("a", func(ps *api.PostgresServer) {
			ps.Status.Conditions = append(ps.Status.Conditions, cond(api.ConditionSplitBrain, metav1.ConditionTrue, api.ReasonSplitBrain))
		}), LevelCritical, "split brain"},
		{"unreachable member warns", server("a", func(ps *api.PostgresServer) { ps.Status.Members[1].Role = api.RoleUnreachable }),
			LevelWarning, "member db-1:5432 unreachable"},
		{"inactive unmanaged slots are info", server("a", func(ps *api.PostgresServer) { ps.Status.Slots.InactiveUnmanaged = 2 }),
			LevelInfo, "2 inactive unmanaged slots"},
		{"not ready", server("a", func(ps *api.PostgresServer) {
			ps.Status.Conditions[0] = cond(api.ConditionReady, metav1.ConditionFalse, api.ReasonNoPrimary)
		}), LevelCritical, "not ready (NoPrimary)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ServerRisk(&c.server)
			if r.Level != c.level || r.Why() != c.why {
				t.Errorf("got %s %q, want %s %q", r.Level, r.Why(), c.level, c.why)
			}
		})
	}
}

func TestSortSlotRowsRiskiestFirst(t *testing.T) {
	slots := []api.ReplicationSlot{
		slot("small-idle", retained(1)),
		slot("ok", activeBy("app", false), retained(1<<30)),
		slot("big-idle", retained(1<<20)),
		slot("gap", gapped, retained(0)),
		slot("stale", activeBy("app", true)),
	}
	rep := BuildStatus(nil, slots, now)
	var got []string
	for _, r := range rep.Slots {
		got = append(got, r.Name)
	}
	want := []string{"gap", "stale", "big-idle", "small-idle", "ok"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}
