package status

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// figuresStatus is a server status with a standby lagging by lag bytes and
// two inactive unmanaged slots retaining a and b bytes, listed largest
// first as the view lists them.
func figuresStatus(lag, a, b int64) api.PostgresServerStatus {
	slots := []api.UnmanagedSlot{{Name: "a", RetainedWALBytes: ptrTo(a)}, {Name: "b", RetainedWALBytes: ptrTo(b)}}
	if b > a {
		slots[0], slots[1] = slots[1], slots[0]
	}
	counts := &api.SlotCounts{Unmanaged: 2, InactiveUnmanaged: 2}
	counts.UnmanagedRetainedWALBytes, counts.InactiveUnmanagedRetainedWALBytes = a+b, a+b
	held := UnmanagedRetention(3, counts, slots, 1<<30)
	return api.PostgresServerStatus{
		Members: []api.MemberStatus{{Host: "p", Role: api.RolePrimary}, {Host: "s", Role: api.RoleStandby, ReplayLagBytes: ptrTo(lag)}},
		Slots:   counts, UnmanagedSlots: slots,
		Conditions: []metav1.Condition{{Type: api.ConditionUnmanagedWALRetentionHealthy, Status: held.Status,
			Reason: held.Reason, Message: held.Message, ObservedGeneration: 3}},
	}
}

func TestServerFiguresSettled(t *testing.T) {
	const kib, mib = int64(1 << 10), int64(1 << 20)
	base := figuresStatus(0, 200*kib, 100*kib)
	cases := []struct {
		name    string
		was     *api.PostgresServerStatus // base when nil
		now     api.PostgresServerStatus
		settled bool
	}{
		{"nothing moved", nil, figuresStatus(0, 200*kib, 100*kib), true},
		{"a checkpoint's WAL: lag and retention up by kilobytes", nil, figuresStatus(8*kib, 208*kib, 108*kib), true},
		{"the two slots swap places in the list", nil, figuresStatus(0, 200*kib, 300*kib), true},
		{"the standby falls a MiB behind", nil, figuresStatus(mib, 200*kib, 100*kib), false},
		{"a slot's retention crosses a MiB", nil, figuresStatus(0, mib+kib, 100*kib), false},
		{"above 16 MiB, within one segment", ptrTo(figuresStatus(0, 17*mib, 20*mib)), figuresStatus(0, 17*mib+500*kib, 30*mib), true},
		{"a member's role changes", nil, func() api.PostgresServerStatus {
			s := figuresStatus(0, 200*kib, 100*kib)
			s.Members[1].Role = api.RoleUnreachable
			return s
		}(), false},
		{"a slot becomes active", nil, func() api.PostgresServerStatus {
			s := figuresStatus(0, 200*kib, 100*kib)
			s.UnmanagedSlots[1].Active = true
			return s
		}(), false},
		{"the retention condition turns over budget", nil, func() api.PostgresServerStatus {
			s := figuresStatus(0, 200*kib, 100*kib)
			s.Conditions[0].Status, s.Conditions[0].Reason = metav1.ConditionFalse, api.ReasonOverBudget
			return s
		}(), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			was := base
			if c.was != nil {
				was = *c.was
			}
			if got := ServerFiguresSettled(was, c.now); got != c.settled {
				t.Fatalf("settled = %v, want %v", got, c.settled)
			}
		})
	}
}

// The comparison must not change the statuses it compares.
func TestServerFiguresSettledLeavesInputs(t *testing.T) {
	a, b := figuresStatus(0, 200<<10, 100<<10), figuresStatus(4<<10, 100<<10, 300<<10)
	ServerFiguresSettled(a, b)
	if *a.Members[1].ReplayLagBytes != 0 || a.UnmanagedSlots[0].Name != "a" || b.UnmanagedSlots[0].Name != "b" ||
		a.Conditions[0].Message == "" || a.Slots.UnmanagedRetainedWALBytes != 300<<10 {
		t.Fatalf("inputs changed: %+v %+v", a, b)
	}
}
