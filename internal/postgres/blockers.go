package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Blocker is a transaction a slot creation waits for.
type Blocker struct {
	PID int32
	// BackendStart tells this session from a later one given the same pid.
	BackendStart    time.Time
	XID             string
	XactStart       *time.Time
	ApplicationName string
	ClientAddr      string
	State           string
	Database        string
	Query           string
	Superuser       bool
}

// blockerColumns keeps 200 characters of each query: enough to recognise
// it, small enough for status.
const blockerColumns = `a.pid, a.backend_start, coalesce(a.backend_xid::text, ''), a.xact_start,
       coalesce(a.application_name, ''), coalesce(host(a.client_addr), ''), coalesce(a.state, ''),
       coalesce(a.datname, ''), left(coalesce(a.query, ''), 200),
       coalesce(r.rolsuper, false)`

// A logical slot being created has a row held by its creator and no
// confirmed_flush_lsn yet; the creator waits on the transactions that were
// running when it started, which pg_blocking_pids names.
const creationBlockersSQL = `
SELECT ` + blockerColumns + `
FROM pg_replication_slots s
CROSS JOIN LATERAL unnest(pg_blocking_pids(s.active_pid)) AS b(pid)
JOIN pg_stat_activity a ON a.pid = b.pid
LEFT JOIN pg_roles r ON r.oid = a.usesysid
WHERE s.slot_name = $1 AND s.active AND s.confirmed_flush_lsn IS NULL
ORDER BY a.xact_start NULLS LAST`

// On a standby the creation waits for the primary's running-xacts record,
// which lists the primary's open transactions: those are the blockers.
const openTransactionsSQL = `
SELECT ` + blockerColumns + `
FROM pg_stat_activity a
LEFT JOIN pg_roles r ON r.oid = a.usesysid
WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()
ORDER BY a.xact_start NULLS LAST`

// CreationBlockers lists the transactions a slot creation on this server
// waits for; empty when it waits for nothing (or is not running).
func CreationBlockers(ctx context.Context, q Querier, slot string) ([]Blocker, error) {
	return queryBlockers(ctx, q, creationBlockersSQL, slot)
}

// OpenTransactions lists the transactions holding an xid on this server,
// oldest first: what a creation on one of its standbys waits for.
func OpenTransactions(ctx context.Context, q Querier) ([]Blocker, error) {
	return queryBlockers(ctx, q, openTransactionsSQL)
}

func queryBlockers(ctx context.Context, q Querier, sql string, args ...any) ([]Blocker, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, Classify(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Blocker, error) {
		var b Blocker
		var started *time.Time // NULL when the role may not see the session
		err := r.Scan(&b.PID, &started, &b.XID, &b.XactStart, &b.ApplicationName, &b.ClientAddr, &b.State,
			&b.Database, &b.Query, &b.Superuser)
		if started != nil {
			b.BackendStart = *started
		}
		return b, err
	})
	return out, classified(err)
}

// LogStandbySnapshot makes the primary write a running-xacts WAL record at
// once, which a logical slot creation on a standby waits for.
func LogStandbySnapshot(ctx context.Context, q Querier) error {
	_, err := q.Exec(ctx, `SELECT pg_log_standby_snapshot()`)
	return classified(err)
}

// classified is Classify for a plain error result: a nil error must stay a
// nil interface, not a typed nil *Error.
func classified(err error) error {
	if err == nil {
		return nil
	}
	return Classify(err)
}
