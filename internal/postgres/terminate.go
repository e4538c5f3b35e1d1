package postgres

import (
	"context"
	"errors"
	"time"
)

// Termination describes one session to end because it blocks a slot
// creation. The session is named as the watcher saw it (pid, backend start,
// xid): between that look and the termination it may have committed, begun
// another transaction, or left and had its pid reused, and none of those
// may be ended. So the statement re-checks everything at the moment it
// signals, and ends nothing when the session is no longer the one seen.
type Termination struct {
	PID          int32
	BackendStart time.Time
	XID          string
	// OlderThan is how long the session's transaction must have run.
	OlderThan time.Duration
	// Slot names a creation running on this server: the session must be
	// among the holders of the lock its creator waits on.
	Slot string
	// Horizon is set instead for a creation on a standby of this server:
	// the creation's catalog_xmin there. A transaction whose xid precedes
	// it was running when the creation began, and every running-xacts
	// record lists it while it runs, so the creation cannot finish before
	// it ends (snapbuild skips such records as "xmin horizon too low").
	Horizon string
}

// The shared checks: the same backend (pid and start), in the same
// transaction (xid), running longer than asked, an ordinary client session,
// not this one.
const terminateWhere = `
WHERE a.pid = $1 AND a.backend_start = $2 AND a.backend_xid::text = $3::text
  AND a.xact_start <= now() - $4::bigint * interval '1 microsecond'
  AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`

const terminateBlockingSQL = `
SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a` + terminateWhere + `
  AND EXISTS (SELECT FROM pg_replication_slots s
              WHERE s.slot_name = $5 AND s.active AND s.confirmed_flush_lsn IS NULL
                AND a.pid = ANY (pg_blocking_pids(s.active_pid)))`

// age() counts back from the same next xid for both values, so the larger
// age is the older xid, wraparound included.
const terminateBeforeHorizonSQL = `
SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a` + terminateWhere + `
  AND age(a.backend_xid) > age($5::text::xid)`

var errNoCreation = errors.New("termination names neither a slot nor a horizon")

// TerminateBlocker ends the session t names if, at that instant, it still
// qualifies. It reports false when it did not: gone, changed, too young, or
// no longer blocking. A session PostgreSQL will not let the role end (a
// superuser's, or any without pg_signal_backend) is an error.
func TerminateBlocker(ctx context.Context, q Querier, t Termination) (bool, error) {
	sql, target := terminateBlockingSQL, t.Slot
	switch {
	case t.Slot != "":
	case t.Horizon != "":
		sql, target = terminateBeforeHorizonSQL, t.Horizon
	default:
		return false, errNoCreation
	}
	rows, err := q.Query(ctx, sql, t.PID, t.BackendStart, t.XID, t.OlderThan.Microseconds(), target)
	if err != nil {
		return false, Classify(err)
	}
	defer rows.Close()
	ended := false
	for rows.Next() {
		if err := rows.Scan(&ended); err != nil {
			return false, classified(err)
		}
	}
	return ended, classified(rows.Err())
}

// A slot still being created: held by its creator, no confirmed position.
const creationHorizonSQL = `
SELECT coalesce(catalog_xmin::text, '') FROM pg_replication_slots
WHERE slot_name = $1 AND active AND confirmed_flush_lsn IS NULL`

// CreationHorizon returns the catalog_xmin of a slot being created on this
// server, "" when no creation of it is running.
func CreationHorizon(ctx context.Context, q Querier, slot string) (string, error) {
	rows, err := q.Query(ctx, creationHorizonSQL, slot)
	if err != nil {
		return "", Classify(err)
	}
	defer rows.Close()
	xmin := ""
	for rows.Next() {
		if err := rows.Scan(&xmin); err != nil {
			return "", classified(err)
		}
	}
	return xmin, classified(rows.Err())
}
