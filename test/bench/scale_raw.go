package main

import (
	"context"
	"fmt"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// rawCreate times PostgreSQL creating n slots serially in one statement, as
// superuser; logical ones in a database of their own that nothing else
// uses. The slots are dropped again.
func rawCreate(ctx context.Context, pg *pgtest.Server, logical bool, n int) (time.Duration, error) {
	db, create := "postgres", "SELECT count(pg_create_physical_replication_slot('raw_'||i, true)) FROM generate_series(1, $1) i"
	if logical {
		db, create = "raw", "SELECT count(pg_create_logical_replication_slot('raw_'||i, 'pgoutput')) FROM generate_series(1, $1) i"
		if err := pg.CreateDatabase(ctx, db); err != nil {
			return 0, err
		}
	}
	conn, err := pg.Connect(ctx, db)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var got int
	t0 := time.Now()
	if err := conn.QueryRow(ctx, create, n).Scan(&got); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	fmt.Printf("scale: PostgreSQL created %d slots (logical %t) in %s\n", got, logical, ms(d))
	_, err = conn.Exec(ctx, "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name LIKE 'raw\\_%'")
	return d, err
}
