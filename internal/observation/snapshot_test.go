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

// Holders counts every member that lists the slot, an unreachable one
// (no Slots) counting for none; Holds is whether that count is above 0.
func TestHolders(t *testing.T) {
	has := func(host string, slots ...string) Member {
		m := Member{Endpoint: Endpoint{Host: host, Port: 5432}, Slots: map[string]postgres.Slot{}}
		for _, s := range slots {
			m.Slots[s] = postgres.Slot{Name: s}
		}
		return m
	}
	s := &Snapshot{Members: []Member{has("db-0", "cdc", "replica"), has("db-1", "replica"), {Endpoint: Endpoint{Host: "db-2"}}}}
	for slot, want := range map[string]int{"cdc": 1, "replica": 2, "other": 0} {
		if got := s.Holders(slot); got != want || s.Holds(slot) != (want > 0) {
			t.Errorf("%s: Holders %d, Holds %v; want %d", slot, got, s.Holds(slot), want)
		}
	}
}
