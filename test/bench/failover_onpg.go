package main

import (
	"context"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// onPostgresPoll is how often the promoted server is asked how many of the
// operator's slots it holds: often enough to matter against a recovery of
// seconds, rarely enough to cost PostgreSQL little (one count of at most
// 2,000 rows).
const onPostgresPoll = 20 * time.Millisecond

// operatorSlotsSQL counts the slots of the failover scenario's objects
// (s000, s001, …): not PostgreSQL's own raw_ slots, not the standby's.
const operatorSlotsSQL = `SELECT count(*) FROM pg_replication_slots WHERE slot_name ~ '^s[0-9]+$'`

// waitOnPostgres reports how long after t0 the promoted server first held
// want of the operator's slots, whatever their status says: the moment a
// consumer could connect to every slot again. It gives up with 0 when ctx
// ends first.
func waitOnPostgres(ctx context.Context, s *pgtest.Server, want int, t0 time.Time) time.Duration {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return 0
	}
	defer conn.Close(context.Background())
	for ctx.Err() == nil {
		var n int
		// Errors are expected while the server is still in recovery.
		if conn.QueryRow(ctx, operatorSlotsSQL).Scan(&n) == nil && n >= want {
			return time.Since(t0)
		}
		time.Sleep(onPostgresPoll)
	}
	return 0
}
