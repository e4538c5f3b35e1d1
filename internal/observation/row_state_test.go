package observation

import (
	"testing"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// On 16 every invalidated logical slot is "conflicting" with wal_status
// lost; a clash with recovery is the one that keeps its restart_lsn.
func TestInvalidationOf(t *testing.T) {
	lsn := postgres.LSN(0x3000000)
	cases := map[string]struct {
		row  postgres.Slot
		want string
	}{
		"17+ names it":      {postgres.Slot{InvalidationReason: "idle_timeout", WALStatus: "lost"}, "idle_timeout"},
		"16 wal removed":    {postgres.Slot{Conflicting: true, WALStatus: "lost"}, "wal_removed"},
		"16 recovery clash": {postgres.Slot{Conflicting: true, WALStatus: "lost", RestartLSN: &lsn}, "conflicting"},
		"15 wal removed":    {postgres.Slot{WALStatus: "lost"}, "wal_removed"},
		"valid":             {postgres.Slot{WALStatus: "reserved"}, ""},
	}
	for name, tc := range cases {
		if got := InvalidationOf(&tc.row); got != tc.want {
			t.Errorf("%s: InvalidationOf = %q, want %q", name, got, tc.want)
		}
	}
}
