package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// pgSlots maps every slot on pg to its row, as PostgreSQL itself sees it,
// read as superuser straight from the server (never through the proxy).
func pgSlots(pg *pgtest.Server) (map[string]harness.Slot, error) {
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	slots, err := harness.Slots(ctx, pg)
	if err != nil {
		return nil, err
	}
	out := make(map[string]harness.Slot, len(slots))
	for _, s := range slots {
		out[s.Name] = s
	}
	return out, nil
}

// withConn runs fn on a fresh connection to pg's maintenance database,
// bounded to 15 s, as the suite's checks read PostgreSQL directly.
func withConn(pg *pgtest.Server, fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	return fn(ctx, conn)
}

// queryStrings returns the one text column of a query's rows.
func queryStrings(pg *pgtest.Server, sql string, args ...any) (out []string, err error) {
	err = withConn(pg, func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// roleConnections counts the sessions of role per database.
func roleConnections(pg *pgtest.Server, role string) (map[string]int, error) {
	out := map[string]int{}
	err := withConn(pg, func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT coalesce(datname, ''), count(*)::int FROM pg_stat_activity
			WHERE usename = $1 GROUP BY 1`, role)
		if err != nil {
			return err
		}
		var db string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&db, &n}, func() error {
			out[db] = n
			return nil
		})
		return err
	})
	return out, err
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// pgExec runs sql as superuser on database postgres, bounded.
func pgExec(pg *pgtest.Server, sql string, args ...any) {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	Expect(pg.Exec(ctx, sql, args...)).To(Succeed(), sql)
}

// createRole creates the operator's role as docs/postgres-role.md asks.
func createRole(pg *pgtest.Server, role, password string) {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	Expect(pg.CreateRole(ctx, role, password, true)).To(Succeed())
	pgExec(pg, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+pgx.Identifier{role}.Sanitize())
}

// createCanaries creates a logical and a physical slot that no
// ReplicationSlot declares; the operator must never drop them.
func createCanaries(pg *pgtest.Server, prefix string) []string {
	GinkgoHelper()
	logical, physical := prefix+"canary_logical", prefix+"canary_physical"
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	conn, err := pg.Connect(ctx, database)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(ctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, logical)
	Expect(err).NotTo(HaveOccurred())
	_, err = conn.Exec(ctx, `SELECT pg_create_physical_replication_slot($1, true)`, physical)
	Expect(err).NotTo(HaveOccurred())
	return []string{logical, physical}
}

// dropSlots drops the named slots that exist, for clean-up.
func dropSlots(pg *pgtest.Server, names []string) error {
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	for _, n := range names {
		err := pg.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, n)
		if err != nil {
			return fmt.Errorf("dropping %s: %w", n, err)
		}
	}
	return nil
}
