package slot

import (
	"strings"
	"testing"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestFollowPods(t *testing.T) {
	member := func(host, pod string) observation.Member {
		return observation.Member{Endpoint: observation.Endpoint{Host: host, Port: 5432}, Pod: pod}
	}
	rec := func(host, pod string) api.SlotCopy { return api.SlotCopy{Host: host, Port: 5432, Pod: pod} }
	former := func(c api.SlotCopy) api.SlotCopy { c.Former = true; return c }
	cases := []struct {
		name    string
		copies  []api.SlotCopy
		members []observation.Member
		want    []api.SlotCopy
		moved   int
	}{
		{"same Pod, same address: unchanged", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "db-2")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0},
		{"a record without a Pod takes the Pod listed at its address", []api.SlotCopy{rec("10.0.0.2", "")},
			[]observation.Member{member("10.0.0.2", "db-2")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0},
		{"the Pod back under a new IP: the record follows it", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.1", "db-1"), member("10.0.0.9", "db-2")}, []api.SlotCopy{rec("10.0.0.9", "db-2")}, 1},
		{"two records of one Pod: the one at its address is kept", []api.SlotCopy{former(rec("10.0.0.2", "db-2")), rec("10.0.0.9", "db-2")},
			[]observation.Member{member("10.0.0.9", "db-2")}, []api.SlotCopy{rec("10.0.0.9", "db-2")}, 1},
		{"two records of one Pod, both moving: the first is kept", []api.SlotCopy{rec("10.0.0.2", "db-2"), former(rec("10.0.0.3", "db-2"))},
			[]observation.Member{member("10.0.0.9", "db-2")}, []api.SlotCopy{rec("10.0.0.9", "db-2")}, 2},
		{"a Pod's record moving onto a record without a Pod: the Pod's is kept", []api.SlotCopy{former(rec("10.0.0.9", "")), rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.9", "db-2")}, []api.SlotCopy{rec("10.0.0.9", "db-2")}, 1},
		{"the Pod gone, its IP another Pod's: the record waits for its Pod", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "db-3")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0},
		{"the Pod gone, its IP another Pod's with a record of its own: both kept", []api.SlotCopy{rec("10.0.0.2", "db-2"), rec("10.0.0.2", "db-3")},
			[]observation.Member{member("10.0.0.2", "db-3")}, []api.SlotCopy{rec("10.0.0.2", "db-2"), rec("10.0.0.2", "db-3")}, 0},
		{"the Pod gone, its IP another Pod's but the Pod listed elsewhere: it follows", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "db-3"), member("10.0.0.7", "db-2")}, []api.SlotCopy{rec("10.0.0.7", "db-2")}, 1},
		{"two Pods swap IPs: each record follows its Pod", []api.SlotCopy{rec("10.0.0.2", "db-2"), rec("10.0.0.3", "db-3")},
			[]observation.Member{member("10.0.0.3", "db-2"), member("10.0.0.2", "db-3")}, []api.SlotCopy{rec("10.0.0.3", "db-2"), rec("10.0.0.2", "db-3")}, 2},
		{"the Pod not listed, its address neither: unchanged", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.1", "db-1")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0},
		{"its address now a host of spec.hosts: the record keeps its Pod's name", []api.SlotCopy{rec("10.0.0.2", "db-2")},
			[]observation.Member{member("10.0.0.2", "")}, []api.SlotCopy{rec("10.0.0.2", "db-2")}, 0},
		{"a record of spec.hosts stays by address", []api.SlotCopy{rec("db.example", "")},
			[]observation.Member{member("db.example", "")}, []api.SlotCopy{rec("db.example", "")}, 0},
	}
	for _, tc := range cases {
		out, moved := followPods(tc.copies, &observation.Snapshot{Members: tc.members})
		if !equalCopies(out, tc.want) || len(moved) != tc.moved {
			t.Errorf("%s: records %+v, %d moved; want %+v, %d moved", tc.name, out, len(moved), tc.want, tc.moved)
		}
	}
}

func equalCopies(a, b []api.SlotCopy) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Host != b[i].Host || a[i].Port != b[i].Port || a[i].Pod != b[i].Pod || a[i].Former != b[i].Former {
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
	want := []api.SlotCopy{{Host: "10.0.0.9", Port: 5432, Pod: "db-2"}, {Host: "10.0.0.3", Port: 5432, Pod: "db-3"}}
	if cs := rs.Status.Copies; !equalCopies(cs, want) {
		t.Fatalf("copies after notePods = %+v; want db-2's record at 10.0.0.9 and db-3's where it was", cs)
	}
	if len(sc.events) != 1 {
		t.Fatalf("events = %+v; want one, for the record moved", sc.events)
	}
	moved := sc.events[0]
	if moved.kind != "Normal" || moved.reason != "SlotFollowed" || !strings.Contains(moved.note, "10.0.0.9:5432 (it was at 10.0.0.2:5432)") {
		t.Errorf("moved event = %+v", moved)
	}
	if listedMember(sc.snap, rs.Status.Copies[1]) {
		t.Errorf("db-3's record is taken as listed, at an address db-4 now has")
	}
}

func TestRecordsOfPods(t *testing.T) {
	ep := observation.Endpoint{Host: "10.0.0.3", Port: 5432}
	id := &postgres.Identity{SystemIdentifier: "7"}
	snap := &observation.Snapshot{SystemIdentifier: "7", Members: []observation.Member{{Endpoint: ep, Pod: "db-4", Identity: id}}}
	old, own := api.SlotCopy{Host: ep.Host, Port: ep.Port, Pod: "db-3"}, api.SlotCopy{Host: ep.Host, Port: ep.Port, Pod: "db-4"}
	if recordMember(snap, old) != nil || clusterRecordMember(snap, old) != nil {
		t.Errorf("db-3's record is matched to db-4")
	}
	if recordMember(snap, own) == nil || clusterRecordMember(snap, own) == nil {
		t.Errorf("db-4's record is not matched to db-4")
	}
	if got := withoutCopy([]api.SlotCopy{old, own}, recordAt(snap, ep)); !equalCopies(got, []api.SlotCopy{old}) {
		t.Errorf("withoutCopy for db-4 = %+v; want db-3's record kept", got)
	}
	noPod := &observation.Snapshot{Members: []observation.Member{{Endpoint: ep}}}
	if got := withoutCopy([]api.SlotCopy{old, own}, recordAt(noPod, ep)); got != nil {
		t.Errorf("withoutCopy for a member without a Pod = %+v; want none left", got)
	}
	bare := api.SlotCopy{Host: ep.Host, Port: ep.Port}
	if got := withoutCopy([]api.SlotCopy{old, bare}, recordAt(&observation.Snapshot{}, ep)); !equalCopies(got, []api.SlotCopy{old}) {
		t.Errorf("withoutCopy at an address nobody is listed at = %+v; want only the record without a Pod gone", got)
	}
}

func TestUnlistedName(t *testing.T) {
	if got := unlistedName(api.SlotCopy{Host: "10.0.0.3", Port: 5432, Pod: "db-3"}); got != "Pod db-3 (last at 10.0.0.3:5432)" {
		t.Errorf("unlistedName = %q", got)
	}
	if got := unlistedName(api.SlotCopy{Host: "db.example", Port: 5432}); got != "db.example:5432" {
		t.Errorf("unlistedName = %q", got)
	}
}
