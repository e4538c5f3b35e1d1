package observation

import (
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// The same primary reached under two names is one primary; two servers of
// the same cluster that both accept writes are a split brain.
func TestChoosePrimaryAliases(t *testing.T) {
	start := time.Date(2026, 12, 3, 10, 0, 0, 123456000, time.UTC)
	primary := func(started time.Time, timeline int64) *postgres.Identity {
		return &postgres.Identity{SystemIdentifier: "7000", Timeline: timeline, PostmasterStart: started}
	}
	standby := &postgres.Identity{SystemIdentifier: "7000", Timeline: 1, InRecovery: true, PostmasterStart: start}
	member := func(host string, id *postgres.Identity) Member {
		return Member{Endpoint: Endpoint{Host: host, Port: 5432}, Identity: id}
	}
	for _, tc := range []struct {
		name       string
		members    []Member
		split      bool
		primaryIdx int
	}{
		{"one primary under two names", []Member{member("db-rw", primary(start, 1)), member("db-0", primary(start, 1)), member("db-1", standby)}, false, 0},
		{"two servers both writable", []Member{member("db-0", primary(start, 1)), member("db-1", primary(start.Add(time.Microsecond), 1))}, true, -1},
		{"same start, other timeline", []Member{member("db-0", primary(start, 1)), member("db-1", primary(start, 2))}, true, -1},
		{"alias after an unreachable member", []Member{{Endpoint: Endpoint{Host: "db-x"}}, member("db-rw", primary(start, 1)), member("db-0", primary(start, 1))}, false, 1},
	} {
		s := NewSnapshot(time.Now(), "", tc.members)
		if s.SplitBrain() != tc.split || s.Primary != tc.primaryIdx {
			t.Errorf("%s: split brain %v (claims %v), primary %d; want %v, %d", tc.name, s.SplitBrain(), s.Claims, s.Primary, tc.split, tc.primaryIdx)
		}
	}
}
