package main

import (
	"context"
	"fmt"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// The table the demo's writer fills and both consumers receive, and the
// publication they subscribe to. The lsn column records where in the WAL
// each row was written, so a lost row can be placed inside or outside a
// reported data gap.
const (
	eventsTable = "order_events"
	publication = "order_events_pub"
)

// startPostgres starts a PostgreSQL 17 primary with the role and database
// the samples expect, the table and publication the consumers use, and a
// standby set up the way failover slots need it: the standby's slot sync
// worker copies every failover slot (sync_replication_slots), and the
// primary lets no failover-slot consumer get ahead of that standby
// (synchronized_standby_slots), so a copy never lacks what a consumer saw.
func (d *demo) startPostgres(ctx context.Context) error {
	// pgtest registers every server; CleanupAll stops standbys before primaries.
	d.onCleanup(pgtest.CleanupAll)
	primary, err := harness.StartPrimary(ctx, 17)
	if err != nil {
		return err
	}
	if err := createEvents(ctx, primary); err != nil {
		return err
	}
	standby, err := primary.AddStandby(ctx, harness.StandbySlot, map[string]string{
		"hot_standby_feedback": "on", "sync_replication_slots": "on"})
	if err != nil {
		return err
	}
	// synchronous_commit: a row the writer saw committed is in the WAL.
	if err := primary.SetSettings(ctx, map[string]string{"synchronous_commit": "on",
		"synchronized_standby_slots": harness.StandbySlot}, false); err != nil {
		return err
	}
	d.pg = &harness.Postgres{Primary: primary, Standby: standby}
	fmt.Printf("primary: %s:%d (data %s)\n", primary.Host, primary.Port, primary.DataDir)
	fmt.Printf("standby: %s:%d (data %s), streaming through physical slot %s\n",
		standby.Host, standby.Port, standby.DataDir, harness.StandbySlot)
	fmt.Printf(`
  The standby runs with sync_replication_slots = on and hot_standby_feedback =
  on: PostgreSQL 17's slot sync worker keeps a copy of every failover slot on
  it. The primary has synchronized_standby_slots = '%s': a consumer of a
  failover slot receives a change only after this standby has it.
  Table %s and publication %s are in database %s.
`, harness.StandbySlot, eventsTable, publication, harness.Database)
	return nil
}

// createEvents creates the table and its publication before any slot
// exists: pgoutput looks the publication up as of each change it decodes.
func createEvents(ctx context.Context, primary *pgtest.Server) error {
	conn, err := primary.Connect(ctx, harness.Database)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(ctx, `CREATE TABLE `+eventsTable+` (id bigint PRIMARY KEY,
		lsn pg_lsn DEFAULT pg_current_wal_insert_lsn());
		CREATE PUBLICATION `+publication+` FOR TABLE `+eventsTable)
	return err
}

// rowsOn returns the ids in the events table of server's orders database
// with the WAL position each was written at.
func rowsOn(ctx context.Context, server *pgtest.Server) (map[int64]string, error) {
	conn, err := server.Connect(ctx, harness.Database)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT id, lsn::text FROM `+eventsTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var lsn string
		if err := rows.Scan(&id, &lsn); err != nil {
			return nil, err
		}
		out[id] = lsn
	}
	return out, rows.Err()
}
