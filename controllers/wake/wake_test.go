package wake

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestSlotUpdateWakes(t *testing.T) {
	base := func() *api.ReplicationSlot {
		return &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 1, ResourceVersion: "1",
			Finalizers: []string{api.FinalizerName}}}
	}
	now := metav1.Now()
	cases := []struct {
		name           string
		change         func(*api.ReplicationSlot)
		slot, toServer bool
	}{
		{"status patch only", func(rs *api.ReplicationSlot) { rs.Status.RetainedWAL = "1 MiB"; rs.ResourceVersion = "2" }, false, false},
		{"spec changed", func(rs *api.ReplicationSlot) { rs.Generation = 2 }, true, true},
		{"deletion started", func(rs *api.ReplicationSlot) { rs.DeletionTimestamp = &now }, true, true},
		{"data gap acknowledged", func(rs *api.ReplicationSlot) {
			rs.Annotations = map[string]string{api.AnnotationAcknowledgeDataGap: "2026-11-22T10:00:00Z"}
		}, true, false},
		{"another annotation", func(rs *api.ReplicationSlot) { rs.Annotations = map[string]string{"x": "y"} }, false, false},
		{"finalizer removed by someone", func(rs *api.ReplicationSlot) { rs.Finalizers = nil }, true, false},
		{"slot now owned", func(rs *api.ReplicationSlot) { rs.Status.Owned = true }, false, true},
	}
	for _, tc := range cases {
		old, cur := base(), base()
		tc.change(cur)
		if got := SlotUpdateWakesSlot(old, cur); got != tc.slot {
			t.Errorf("%s: wakes the slot = %v, want %v", tc.name, got, tc.slot)
		}
		if got := SlotUpdateWakesServer(old, cur); got != tc.toServer {
			t.Errorf("%s: wakes the server = %v, want %v", tc.name, got, tc.toServer)
		}
	}
	// Our own finalizer being added is not news to anyone.
	old, cur := base(), base()
	old.Finalizers = nil
	if SlotUpdateWakesSlot(old, cur) {
		t.Error("adding the finalizer woke the slot")
	}
}

func TestServerUpdateWakesSlots(t *testing.T) {
	ready := func(msg string) []metav1.Condition {
		return []metav1.Condition{{Type: api.ConditionReady, Status: metav1.ConditionTrue, Reason: "Available", Message: msg,
			LastTransitionTime: metav1.Now()}}
	}
	base := func() *api.PostgresServer {
		ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Name: "db", Generation: 3}}
		ps.Status.Conditions, ps.Status.SystemIdentifier = ready("primary a:5432"), "7"
		return ps
	}
	now := metav1.Now()
	cases := []struct {
		name   string
		change func(*api.PostgresServer)
		want   bool
	}{
		{"inventory only", func(ps *api.PostgresServer) {
			ps.Status.Slots = &api.SlotCounts{Managed: 1000}
			ps.Status.ObservedGeneration = 3
		}, false},
		{"condition re-stamped", func(ps *api.PostgresServer) {
			ps.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(1))
		}, false},
		{"spec changed", func(ps *api.PostgresServer) { ps.Generation = 4 }, true},
		{"being deleted", func(ps *api.PostgresServer) { ps.DeletionTimestamp = &now }, true},
		{"another cluster", func(ps *api.PostgresServer) { ps.Status.SystemIdentifier = "8" }, true},
		{"primary moved", func(ps *api.PostgresServer) { ps.Status.Conditions = ready("primary b:5432") }, true},
		{"not ready", func(ps *api.PostgresServer) { ps.Status.Conditions[0].Status = metav1.ConditionFalse }, true},
		{"stalled appears", func(ps *api.PostgresServer) {
			ps.Status.Conditions = append(ps.Status.Conditions, metav1.Condition{Type: api.ConditionStalled, Status: metav1.ConditionTrue})
		}, true},
		{"a prerequisite is fixed (wal_level logical again)", func(ps *api.PostgresServer) {
			ps.Status.Conditions = append(ps.Status.Conditions, metav1.Condition{Type: api.ConditionPrerequisitesMet, Status: metav1.ConditionTrue})
		}, true},
		{"Patroni found", func(ps *api.PostgresServer) { ps.Status.HAManager = &api.HAManagerStatus{Name: "Patroni"} }, true},
		{"Patroni would drop a slot", func(ps *api.PostgresServer) {
			ps.Status.HAManager = &api.HAManagerStatus{Name: "Patroni", Uncovered: []string{"a"}}
		}, true},
		{"unmanaged retention message counts slots", func(ps *api.PostgresServer) {
			ps.Status.Conditions = append(ps.Status.Conditions, metav1.Condition{Type: "UnmanagedWALRetentionHealthy",
				Status: metav1.ConditionTrue, Message: "5 inactive unmanaged slot(s) retain 16MiB"})
		}, false},
	}
	for _, tc := range cases {
		old, cur := base(), base()
		tc.change(cur)
		if got := ServerUpdateWakesSlots(old, cur); got != tc.want {
			t.Errorf("%s: wakes the slots = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUpdatesOnly(t *testing.T) {
	p := UpdatesOnly(func(_, _ *api.ReplicationSlot) bool { return false })
	rs := &api.ReplicationSlot{}
	if !p.Create(event.CreateEvent{Object: rs}) || !p.Delete(event.DeleteEvent{Object: rs}) || !p.Generic(event.GenericEvent{Object: rs}) {
		t.Error("creations, deletions and generic events must pass")
	}
	if p.Update(event.UpdateEvent{ObjectOld: rs, ObjectNew: rs.DeepCopy()}) {
		t.Error("an update the filter refuses passed")
	}
}
