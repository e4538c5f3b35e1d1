package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// steadyResult is one steady window with idle slots: what the operator
// asked of PostgreSQL and kube-apiserver, and what it held.
type steadyResult struct {
	Slots      int
	Window     time.Duration
	Poll       time.Duration
	Statements []statement // by the operator's role
	Writes     []apiWrite  // every write request kube-apiserver served
	Settle     []apiWrite  // the same in the settle period before the window
	SettleWAL  int64       // WAL written in the settle period
	MaxConns   int
	EndConns   int // at the window's last sample
	ConnsAtMax []string
	RSS        []int64 // KiB, one sample a second
	WALBytes   int64   // WAL PostgreSQL wrote in the window: did anything change?
	Changes    statusChanges
	CPU        time.Duration // the operator's CPU time in the window
	GoHeap     int64         // KiB, the operator's Go heap in use at the end
}

type statement struct {
	Calls int64
	Mean  float64 // ms per call
	Query string
}

// polls is how many polls the window held at the server's interval.
func (s steadyResult) polls() float64 { return float64(s.Window) / float64(s.Poll) }

// walMoved: PostgreSQL wrote WAL in the window or in the settle period
// before it, so every slot's retained WAL changed.
func (s steadyResult) walMoved() bool { return s.WALBytes > 0 || s.SettleWAL > 0 }

func (s steadyResult) calls() (n int64) {
	for _, st := range s.Statements {
		n += st.Calls
	}
	return n
}

// steady measures a window: counters are read (and pg_stat_statements
// reset) at its start and read again at its end.
func (r *scaleRig) steady(ctx context.Context, phase string, slots int, window time.Duration) (steadyResult, error) {
	fmt.Printf("scale: steady window with %d slots for %s\n", slots, window)
	res := steadyResult{Slots: slots, Window: window, Poll: r.poll}
	conn, err := r.pg.Connect(ctx, "postgres")
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	if res.Settle, res.SettleWAL, err = r.settle(ctx, conn); err != nil {
		return res, err
	}
	before, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return res, err
	}
	startStatus, err := r.statuses(ctx)
	if err != nil {
		return res, err
	}
	var startLSN string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text FROM pg_stat_statements_reset()").Scan(&startLSN); err != nil {
		return res, err
	}
	r.samp.setPhase(phase)
	cpu0 := procCPU(r.op.Pid())
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return res, context.Cause(ctx)
	}
	r.samp.setPhase(phase + "-done")
	res.CPU, res.GoHeap = procCPU(r.op.Pid())-cpu0, goHeap(ctx, r.metrics)
	if err := r.saveProfile(ctx, phase); err != nil {
		fmt.Println("scale: profile:", err)
	}
	if res.WALBytes, err = walSince(ctx, conn, startLSN); err != nil {
		return res, err
	}
	if res.Statements, err = operatorStatements(ctx, conn); err != nil {
		return res, err
	}
	after, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return res, err
	}
	res.Writes = diffWrites(before, after)
	endStatus, err := r.statuses(ctx)
	if err != nil {
		return res, err
	}
	res.Changes = diffStatuses(startStatus, endStatus)
	st := r.samp.stats(phase)
	res.MaxConns, res.EndConns, res.ConnsAtMax, res.RSS = st.maxConns, st.endConns, st.atMax, st.rss
	return res, nil
}

// settle waits out the settle period and returns the writes served and
// the WAL written in it.
func (r *scaleRig) settle(ctx context.Context, conn *pgx.Conn) ([]apiWrite, int64, error) {
	before, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return nil, 0, err
	}
	var lsn string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return nil, 0, err
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return nil, 0, context.Cause(ctx)
	}
	wal, err := walSince(ctx, conn, lsn)
	if err != nil {
		return nil, 0, err
	}
	after, err := scrapeWrites(ctx, r.cs)
	return diffWrites(before, after), wal, err
}

// walSince is how many bytes of WAL the server wrote since lsn.
func walSince(ctx context.Context, conn *pgx.Conn, lsn string) (int64, error) {
	var n int64
	err := conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", lsn).Scan(&n)
	return n, err
}

// operatorStatements reads pg_stat_statements for the operator's role, in
// every database, most called first; whitespace is folded for the report.
func operatorStatements(ctx context.Context, conn *pgx.Conn) ([]statement, error) {
	rows, err := conn.Query(ctx, `SELECT s.calls, s.mean_exec_time, s.query FROM pg_stat_statements s
		JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1 ORDER BY s.calls DESC, s.query`, role)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (statement, error) {
		var st statement
		err := row.Scan(&st.Calls, &st.Mean, &st.Query)
		st.Query = strings.Join(strings.Fields(st.Query), " ")
		return st, err
	})
}
