package cli

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// now is the tests' fixed clock.
var now = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func cond(t string, s metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: reason + " message",
		LastTransitionTime: metav1.NewTime(now.Add(-5 * time.Minute))}
}

// slot is a healthy, inactive logical slot; options change it.
func slot(name string, opts ...func(*api.ReplicationSlot)) api.ReplicationSlot {
	rs := api.ReplicationSlot{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:       api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotLogical, Database: "orders"},
		Status: api.ReplicationSlotStatus{
			SlotName: name, Host: "db-0:5432", Owned: true, Active: ptr(false), WALStatus: "reserved",
			RetainedWALBytes: ptr(int64(16 << 20)),
			Conditions:       []metav1.Condition{cond(api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)},
		},
	}
	for _, o := range opts {
		o(&rs)
	}
	return rs
}

func withCond(c metav1.Condition) func(*api.ReplicationSlot) {
	return func(rs *api.ReplicationSlot) {
		for i := range rs.Status.Conditions {
			if rs.Status.Conditions[i].Type == c.Type {
				rs.Status.Conditions[i] = c
				return
			}
		}
		rs.Status.Conditions = append(rs.Status.Conditions, c)
	}
}

func retained(n int64) func(*api.ReplicationSlot) {
	return func(rs *api.ReplicationSlot) { rs.Status.RetainedWALBytes = &n }
}

func budgetOf(q string) func(*api.ReplicationSlot) {
	return func(rs *api.ReplicationSlot) { rs.Spec.MaxRetainedWAL = api.NewQuantity(resource.MustParse(q)) }
}

func activeBy(app string, stale bool) func(*api.ReplicationSlot) {
	return func(rs *api.ReplicationSlot) {
		rs.Status.Active, rs.Status.ActivePID = ptr(true), 4711
		rs.Status.Consumer = &api.Consumer{PID: 4711, ApplicationName: app, Stale: stale}
	}
}

// gap opens a data gap window of two recreations.
func gapped(rs *api.ReplicationSlot) {
	first := api.DataGap{Reason: api.ReasonFailover, FromLSN: "0/3000000", ToLSN: "0/4000000",
		Bytes: ptr(int64(16 << 20)), At: metav1.NewTime(now.Add(-time.Hour))}
	second := api.DataGap{Reason: api.ReasonMissing, FromLSN: "0/4800000", ToLSN: "0/5000000",
		Bytes: ptr(int64(8 << 20)), At: metav1.NewTime(now.Add(-10 * time.Minute))}
	rs.Status.DataGaps = []api.DataGap{first, second}
	rs.Status.LastDataGap = &api.DataGap{Reason: api.ReasonMissing, FromLSN: "0/3000000", ToLSN: "0/5000000",
		Bytes: ptr(int64(32 << 20)), At: second.At, Recreations: 2, Since: ptr(first.At)}
	withCond(cond(api.ConditionDataGap, metav1.ConditionTrue, api.ReasonMissing))(rs)
}

// server is a healthy two-member PostgresServer.
func server(name string, opts ...func(*api.PostgresServer)) api.PostgresServer {
	ps := api.PostgresServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Status: api.PostgresServerStatus{
			Primary: "db-0:5432", Timeline: 1,
			Members:    []api.MemberStatus{{Host: "db-0", Port: 5432, Role: api.RolePrimary}, {Host: "db-1", Port: 5432, Role: api.RoleStandby}},
			Conditions: []metav1.Condition{cond(api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)},
			Slots:      &api.SlotCounts{Managed: 1},
		},
	}
	for _, o := range opts {
		o(&ps)
	}
	return ps
}
