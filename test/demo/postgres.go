package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// The role and password of config/samples/secret.yaml.
const (
	demoRole     = "slotkeeper"
	demoPassword = "slotkeeper-demo"
)

// startPostgres starts a PostgreSQL 17 primary with the role and database the
// samples expect, then a streaming standby of it.
func (d *demo) startPostgres(ctx context.Context) error {
	// pgtest registers every server; CleanupAll stops standbys before primaries.
	d.onCleanup(pgtest.CleanupAll)
	primary, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: 17, Name: "primary"})
	if err != nil {
		return err
	}
	d.primary = primary
	if err := d.preparePrimary(ctx); err != nil {
		return err
	}
	// After the role and database exist, so the standby has them from the start.
	if d.standby, err = primary.AddStandby(ctx, "standby1", nil); err != nil {
		return err
	}
	fmt.Printf("primary: %s:%d (data %s)\n", primary.Host, primary.Port, primary.DataDir)
	fmt.Printf("standby: %s:%d (data %s), streaming through physical slot standby1\n",
		d.standby.Host, d.standby.Port, d.standby.DataDir)
	return nil
}

// preparePrimary sets up what docs/postgres-role.md asks of an administrator.
func (d *demo) preparePrimary(ctx context.Context) error {
	if err := d.primary.CreateRole(ctx, demoRole, demoPassword, true); err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	if err := d.primary.CreateDatabase(ctx, "orders"); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	// Lets the operator un-stick slot creation on standbys (16+).
	grant := "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO " + demoRole
	if err := d.primary.Exec(ctx, grant); err != nil {
		return fmt.Errorf("grant: %w", err)
	}
	return nil
}

// showPostgresSlots prints the slots as PostgreSQL itself sees them on the
// primary, so the reader can match them with the Kubernetes objects.
func (d *demo) showPostgresSlots(ctx context.Context) error {
	fmt.Printf("\n$ psql -h %s -p %d -c 'SELECT ... FROM pg_replication_slots'   (on the primary)\n",
		d.primary.Host, d.primary.Port)
	conn, err := d.primary.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT slot_name, slot_type, coalesce(database, ''),
		coalesce(plugin, ''), active, coalesce(restart_lsn::text, '')
		FROM pg_replication_slots ORDER BY slot_name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLOT_NAME\tSLOT_TYPE\tDATABASE\tPLUGIN\tACTIVE\tRESTART_LSN")
	for rows.Next() {
		var name, typ, db, plugin, lsn string
		var active bool
		if err := rows.Scan(&name, &typ, &db, &plugin, &active, &lsn); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\n", name, typ, db, plugin, active, lsn)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return w.Flush()
}
