package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// SyncSlotsNow runs one slot synchronization cycle on a PostgreSQL 17+
// standby (pg_sync_replication_slots(), which needs REPLICATION only).
// PostgreSQL refuses it while the slot sync worker runs, since only one
// synchronization may run at a time; that refusal is reported as busy,
// not as an error: the worker is doing the job.
//
// slotkeeper calls it after dropping a former primary's stale slot: the
// worker exits when it meets a local slot of a failover slot's name, and
// the postmaster starts it again only 10 s later
// (SLOTSYNC_RESTART_INTERVAL_SEC in slotsync.c).
func SyncSlotsNow(ctx context.Context, q Querier) (busy bool, err error) {
	_, err = q.Exec(ctx, `SELECT pg_sync_replication_slots()`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55000" {
		// object_not_in_prerequisite_state: a synchronization is running
		// (the worker), or a promotion is under way.
		return true, nil
	}
	if err != nil {
		return false, Classify(err)
	}
	return false, nil
}
