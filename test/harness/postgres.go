package harness

import (
	"context"
	"fmt"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// The role, password and database that config/samples expect.
const (
	Role     = "slotkeeper"
	Password = "slotkeeper-demo"
	Database = "orders"
	// StandbySlot is the physical slot the standby streams through; no
	// ReplicationSlot declares it.
	StandbySlot = "standby1"
)

// Postgres is a primary and its streaming standby.
type Postgres struct {
	Primary *pgtest.Server
	Standby *pgtest.Server
}

// StartPostgres starts a primary of the given major version with the role
// and database the samples expect, then a streaming standby of it. pgtest
// registers every server: call pgtest.CleanupAll when done, also on error.
func StartPostgres(ctx context.Context, major int) (*Postgres, error) {
	primary, err := StartPrimary(ctx, major)
	if err != nil {
		return nil, err
	}
	// After the role and database exist, so the standby has them from the start.
	standby, err := primary.AddStandby(ctx, StandbySlot, nil)
	if err != nil {
		return nil, err
	}
	return &Postgres{Primary: primary, Standby: standby}, nil
}

// StartPrimary starts a primary of the given major version with the role
// and database the samples expect, and no standby: for stories that need no
// replica. pgtest registers it: call pgtest.CleanupAll (or its Cleanup).
func StartPrimary(ctx context.Context, major int) (*pgtest.Server, error) {
	primary, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "primary"})
	if err != nil {
		return nil, err
	}
	if err := preparePrimary(ctx, primary); err != nil {
		return nil, err
	}
	return primary, nil
}

// preparePrimary sets up what docs/postgres-role.md asks of an administrator.
func preparePrimary(ctx context.Context, primary *pgtest.Server) error {
	if err := primary.CreateRole(ctx, Role, Password, true); err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	if err := primary.CreateDatabase(ctx, Database); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	// Lets the operator un-stick slot creation on standbys; the function
	// exists from 16 on.
	if primary.Major < 16 {
		return nil
	}
	grant := "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO " + Role
	if err := primary.Exec(ctx, grant); err != nil {
		return fmt.Errorf("grant: %w", err)
	}
	return nil
}

// Slot is one row of pg_replication_slots.
type Slot struct {
	Name, Type, Database, Plugin string
	Active                       bool
	RestartLSN                   string
}

// Slots lists the slots of server as PostgreSQL itself sees them, read as
// superuser, ordered by name.
func Slots(ctx context.Context, server *pgtest.Server) ([]Slot, error) {
	conn, err := server.Connect(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT slot_name, slot_type, coalesce(database, ''),
		coalesce(plugin, ''), active, coalesce(restart_lsn::text, '')
		FROM pg_replication_slots ORDER BY slot_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var slots []Slot
	for rows.Next() {
		var s Slot
		if err := rows.Scan(&s.Name, &s.Type, &s.Database, &s.Plugin, &s.Active, &s.RestartLSN); err != nil {
			return nil, err
		}
		slots = append(slots, s)
	}
	return slots, rows.Err()
}

// Cleanup stops both servers and removes their files, the standby first so
// it does not spin on a vanished primary. For pairs that end before the
// run does; pgtest.CleanupAll covers the rest.
func (p *Postgres) Cleanup() {
	p.Standby.Cleanup()
	p.Primary.Cleanup()
}
