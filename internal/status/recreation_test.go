package status

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func obj(name, host string, tl int64, owned bool) api.ReplicationSlot {
	return api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: api.ReplicationSlotStatus{Host: host, ObservedTimeline: tl, Owned: owned}}
}

func TestRecreationDone(t *testing.T) {
	now := time.Now()
	rec := &api.SlotRecreation{Member: "b:5432", Timeline: 2, Slots: []string{"one", "two"}, At: metav1.NewTime(now.Add(-RecreationKeep))}
	young := rec.DeepCopy()
	young.At = metav1.NewTime(now.Add(-RecreationKeep + time.Second))
	cases := []struct {
		name  string
		rec   *api.SlotRecreation
		slots []api.ReplicationSlot
		want  bool
	}{
		{"no record", nil, nil, false},
		{"every named slot recorded, but the record is young", young,
			[]api.ReplicationSlot{obj("one", "b:5432", 2, true), obj("two", "b:5432", 2, true)}, false},
		{"every named slot recorded on the promoted member", rec,
			[]api.ReplicationSlot{obj("one", "b:5432", 2, true), obj("two", "b:5432", 2, true)}, true},
		{"one still shows the old primary", rec,
			[]api.ReplicationSlot{obj("one", "b:5432", 2, true), obj("two", "a:5432", 1, true)}, false},
		{"one moved to a standby since the promotion", rec,
			[]api.ReplicationSlot{obj("one", "c:5432", 2, true), obj("two", "b:5432", 2, true)}, true},
		{"one on the member but the old timeline", rec,
			[]api.ReplicationSlot{obj("one", "b:5432", 1, true), obj("two", "b:5432", 2, true)}, false},
		{"a later failover moved them on", rec,
			[]api.ReplicationSlot{obj("one", "c:5432", 3, true), obj("two", "c:5432", 3, true)}, true},
		{"seen on the old primary after the record", rec,
			[]api.ReplicationSlot{obj("one", "a:5432", 1, true), obj("two", "c:5432", 3, true)}, false},
		{"one gave the slot up (Conflict)", rec,
			[]api.ReplicationSlot{obj("one", "a:5432", 1, false), obj("two", "b:5432", 2, true)}, true},
		{"one object is gone", rec, []api.ReplicationSlot{obj("two", "b:5432", 2, true)}, true},
		{"an object the record does not name lags", rec,
			[]api.ReplicationSlot{obj("one", "b:5432", 2, true), obj("two", "b:5432", 2, true), obj("three", "a:5432", 1, true)}, true},
	}
	for _, tc := range cases {
		if got := RecreationDone(tc.rec, tc.slots, now); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
