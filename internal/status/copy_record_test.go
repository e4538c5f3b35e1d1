package status

import (
	"testing"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// A record is a member's by address, unless both name Pods that differ:
// the IP of a recreated Pod given to another Pod is not that member.
func TestFindCopy(t *testing.T) {
	copies := []api.SlotCopy{{Host: "10.0.0.2", Port: 5432, Pod: "db-2"}, {Host: "db.example", Port: 5432}}
	member := func(host, pod string) *observation.Member {
		return &observation.Member{Endpoint: observation.Endpoint{Host: host, Port: 5432}, Pod: pod}
	}
	for _, tc := range []struct {
		name string
		m    *observation.Member
		want string // the record's host, "" for none
	}{
		{"its Pod at its address", member("10.0.0.2", "db-2"), "10.0.0.2"},
		{"another Pod at its address", member("10.0.0.2", "db-3"), ""},
		{"its address listed by spec.hosts", member("10.0.0.2", ""), "10.0.0.2"},
		{"a record without a Pod", member("db.example", ""), "db.example"},
		{"no record at the address", member("10.0.0.9", "db-2"), ""},
	} {
		got := FindCopy(copies, tc.m)
		if (got == nil) != (tc.want == "") || (got != nil && got.Host != tc.want) {
			t.Errorf("%s: %+v, want host %q", tc.name, got, tc.want)
		}
	}
}
