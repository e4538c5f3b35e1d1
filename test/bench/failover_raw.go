package main

import (
	"context"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// What the operator's recovery is measured against: PostgreSQL creating the
// same slots serially, in one statement per kind, as superuser, on the
// promoted server the operator has just recovered them on. The options are
// the operator's defaults for the failover scenario's objects: logical
// slots with pgoutput in database orders, not temporary, no two-phase, no
// failover (pg_create_logical_replication_slot's defaults); physical slots
// reserving WAL (spec.reserveWAL defaults to true). The slots are dropped
// again.
const (
	rawLogicalSQL  = "SELECT count(pg_create_logical_replication_slot('raw_l'||i, 'pgoutput')) FROM generate_series(1, $1) i"
	rawPhysicalSQL = "SELECT count(pg_create_physical_replication_slot('raw_p'||i, true)) FROM generate_series(1, $1) i"
	rawDropSQL     = "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name LIKE 'raw\\_%'"
)

// rawSettle lets the operator's trailing writes after the last Ready (its
// server status, Events) pass, so PostgreSQL's figure is its own.
const rawSettle = time.Second

// rawOnPromoted returns PostgreSQL's time for logical and for physical
// slots. The promoted server already holds the operator's slots, so each
// creation here scans twice as many in-use entries as the operator's did;
// the cost of a creation in PostgreSQL hardly depends on that (the slot
// array is scanned up to max_replication_slots either way).
func rawOnPromoted(ctx context.Context, s *pgtest.Server, logical, physical int) (time.Duration, time.Duration, error) {
	time.Sleep(rawSettle)
	conn, err := s.Connect(ctx, "orders")
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(context.Background())
	timed := func(sql string, n int) (time.Duration, error) {
		var got int
		t0 := time.Now()
		err := conn.QueryRow(ctx, sql, n).Scan(&got)
		return time.Since(t0), err
	}
	dl, err := timed(rawLogicalSQL, logical)
	if err != nil {
		return 0, 0, err
	}
	dp, err := timed(rawPhysicalSQL, physical)
	if err != nil {
		return 0, 0, err
	}
	_, err = conn.Exec(ctx, rawDropSQL)
	return dl, dp, err
}
