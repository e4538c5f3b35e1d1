package slot

import (
	"strings"
	"testing"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

func TestFollowPods(t *testing.T) {
	member := func(host, pod string) observation.Member {
		return observation.Member{Endpoint: observation.Endpoint{Host: host, Port: 5432}, Pod: pod}
	}
	rec := func(host, pod string) api.SlotCopy { return api.SlotCopy{Host: host, Port: 5432, Pod: pod} }
	cases := []struct {
		name    string
		copies  []api.SlotCopy
		members []observation.Member
		want    []api.SlotCopy
		moved   int
		takenBy string
	}{
		{"same Pod, same address: unchanged", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "db-2")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0, ""},
		{"a record without a Pod takes the Pod listed at its address", []api.SlotCopy{rec("10.0.0.2", "")},
			[]observation.Member{member("10.0.0.2", "db-2")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0, ""},
		{"the Pod back under a new IP: the record follows it", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.1", "db-1"), member("10.0.0.9", "db-2")}, []api.SlotCopy{rec("10.0.0.9", "db-2")}, 1, ""},
		{"the Pod's new address already recorded: left for the unlisted rule", []api.SlotCopy{rec("10.0.0.2", "db-2"), rec("10.0.0.9", "db-2")},
			[]observation.Member{member("10.0.0.9", "db-2")}, []api.SlotCopy{rec("10.0.0.2", "db-2"), rec("10.0.0.9", "db-2")}, 0, ""},
		{"the Pod gone, its IP another Pod's: taken out", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "db-3")}, nil, 0, "db-3"},
		{"the Pod gone, its IP another Pod's but the Pod listed elsewhere: it follows", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "db-3"), member("10.0.0.7", "db-2")}, []api.SlotCopy{rec("10.0.0.7", "db-2")}, 1, ""},
		{"the Pod not listed, its address neither: unchanged", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.1", "db-1")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0, ""},
		{"its address now a host of spec.hosts: that member, no Pod", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "")}, []api.SlotCopy{rec("10.0.0.2", "")}, 0, ""},
		{"a record of spec.hosts stays by address", []api.SlotCopy{rec("db.example", "")},
			[]observation.Member{member("db.example", "")}, []api.SlotCopy{rec("db.example", "")}, 0, ""},
	}
	for _, tc := range cases {
		out, moved, taken := followPods(tc.copies, &observation.Snapshot{Members: tc.members})
		if !equalCopies(out, tc.want) || len(moved) != tc.moved {
			t.Errorf("%s: records %+v, %d moved; want %+v, %d moved", tc.name, out, len(moved), tc.want, tc.moved)
		}
		if (tc.takenBy == "") != (len(taken) == 0) || (len(taken) == 1 && taken[0].by != tc.takenBy) {
			t.Errorf("%s: taken %+v; want by %q", tc.name, taken, tc.takenBy)
		}
	}
}

func equalCopies(a, b []api.SlotCopy) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Host != b[i].Host || a[i].Port != b[i].Port || a[i].Pod != b[i].Pod {
			return false
		}
	}
	return true
}

func TestNotePods(t *testing.T) {
	rs := &api.ReplicationSlot{}
	rs.Status.Copies = []api.SlotCopy{{Host: "10.0.0.2", Port: 5432, Pod: "db-2"}, {Host: "10.0.0.3", Port: 5432, Pod: "db-3"}}
	sc := &slotScope{rs: rs, name: "orders_cdc", snap: &observation.Snapshot{Members: []observation.Member{
		{Endpoint: observation.Endpoint{Host: "10.0.0.9", Port: 5432}, Pod: "db-2"},
		{Endpoint: observation.Endpoint{Host: "10.0.0.3", Port: 5432}, Pod: "db-4"},
	}}}
	notePods(sc)
	if cs := rs.Status.Copies; len(cs) != 1 || cs[0].Host != "10.0.0.9" || cs[0].Pod != "db-2" {
		t.Fatalf("copies after notePods = %+v; want db-2's record at 10.0.0.9 only", cs)
	}
	if len(sc.events) != 2 {
		t.Fatalf("events = %+v; want one moved, one forgotten", sc.events)
	}
	moved, forgot := sc.events[0], sc.events[1]
	if moved.kind != "Normal" || moved.reason != "SlotFollowed" || !strings.Contains(moved.note, "10.0.0.9:5432 (it was at 10.0.0.2:5432)") {
		t.Errorf("moved event = %+v", moved)
	}
	if forgot.kind != "Warning" || forgot.reason != "SlotForgotten" || !strings.Contains(forgot.note, "10.0.0.3:5432 is now Pod db-4's") ||
		!strings.Contains(forgot.note, "drop it there by hand") {
		t.Errorf("forgotten event = %+v", forgot)
	}
}
