package cli

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestNewSlotRowCells(t *testing.T) {
	failoverOn := func(rs *api.ReplicationSlot) { rs.Spec.Failover = true }
	cases := []struct {
		name string
		slot api.ReplicationSlot
		cell func(SlotRow) string
		want string
	}{
		{"no consumer", slot("a"), func(r SlotRow) string { return r.Consumer }, "none"},
		{"consumer by application", slot("a", activeBy("debezium", false)), func(r SlotRow) string { return r.Consumer }, "debezium"},
		{"stale consumer flagged", slot("a", activeBy("debezium", true)), func(r SlotRow) string { return r.Consumer }, "debezium (stale)"},
		{"budget share", slot("a", budgetOf("1Gi"), retained(256<<20)), func(r SlotRow) string { return r.Budget }, "25% of 1Gi"},
		{"no budget", slot("a"), func(r SlotRow) string { return r.Budget }, "-"},
		{"retained in IEC units", slot("a", retained(1536<<20)), func(r SlotRow) string { return r.Retained }, "1.5GiB"},
		{"failover off", slot("a"), func(r SlotRow) string { return r.Failover }, "off"},
		{"failover per standby", slot("a", failoverOn, func(rs *api.ReplicationSlot) {
			rs.Status.Standbys = []api.StandbySlot{
				{Host: "db-1", Port: 5432, Present: true, Synced: true, Persistent: true, Ready: true},
				{Host: "db-2", Port: 5432, Present: true},
				{Host: "db-3", Port: 5432},
			}
		}), func(r SlotRow) string { return r.Failover }, "db-1:5432 ready, db-2:5432 not synced, db-3:5432 missing"},
		{"failover without standbys shows the reason", slot("a", failoverOn,
			withCond(cond(api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonNoStandbys))),
			func(r SlotRow) string { return r.Failover }, "NoStandbys"},
		{"open gap", slot("a", gapped), func(r SlotRow) string { return r.Gap }, "32.0MiB (2 recreations, latest 10m ago)"},
		{"acknowledged gap is history, not shown", slot("a", func(rs *api.ReplicationSlot) {
			gapped(rs)
			rs.Status.Conditions = rs.Status.Conditions[:1]
		}), func(r SlotRow) string { return r.Gap }, "-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.cell(NewSlotRow(&c.slot, now)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestNewServerRow(t *testing.T) {
	ps := server("db", func(ps *api.PostgresServer) {
		ps.Status.HAManager = &api.HAManagerStatus{Name: "Patroni", Version: "4.0.4", Uncovered: []string{"x"}}
		ps.Status.Members[1].Role = api.RoleUnreachable
	})
	r := NewServerRow(&ps)
	if r.HAManager != "Patroni 4.0.4 (1 slots uncovered)" || r.Members != "1/2 up" || r.SplitBrain || r.Ready != "True" {
		t.Errorf("row = %+v", r)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 1023: "1023B", 1024: "1.0KiB", 16 << 20: "16.0MiB", 1<<30 - 1: "1.0GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
