package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestRejoin: after a switchover the old primary follows the promoted
// standby and keeps its old slots. Majors run one after another, as in
// TestLifecycle.
func TestRejoin(t *testing.T) {
	for _, major := range MajorsFromEnv() {
		t.Run(fmt.Sprintf("PostgreSQL%d", major), func(t *testing.T) {
			testRejoin(t, major)
		})
	}
}

func testRejoin(t *testing.T, major int) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	oldPrimary := StartPrimaryT(t, Options{Major: major, Name: "old-primary"})
	newPrimary := oldPrimary.AddStandbyT(t, "standby_1", nil)
	must(t, oldPrimary.Exec(ctx, `SELECT pg_create_physical_replication_slot('keepme');
		CREATE TABLE t (x int)`))

	if err := oldPrimary.Rejoin(ctx, newPrimary, "rejoined"); err == nil {
		t.Fatal("Rejoin of a running server succeeded")
	}
	must(t, oldPrimary.Stop())
	must(t, newPrimary.Promote(ctx))
	must(t, oldPrimary.Rejoin(ctx, newPrimary, "rejoined"))

	if oldPrimary.Primary() != newPrimary {
		t.Error("Primary() of the rejoined server is not the new primary")
	}
	if !scalar[bool](ctx, t, oldPrimary, `SELECT pg_is_in_recovery()`) {
		t.Error("rejoined server is not in recovery")
	}
	if got := scalar[string](ctx, t, newPrimary,
		`SELECT coalesce(max(state), '') FROM pg_stat_replication WHERE application_name = 'rejoined'`); got != "streaming" {
		t.Errorf("new primary sees the rejoined server in state %q", got)
	}
	if n := scalar[int](ctx, t, oldPrimary, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'keepme'`); n != 1 {
		t.Error("slot keepme is gone from the rejoined server")
	}
	must(t, newPrimary.Exec(ctx, `INSERT INTO t VALUES (42)`))
	eventually(ctx, t, "row replicated to the rejoined server", func() bool {
		var n int
		return oldPrimary.queryRow(ctx, `SELECT count(*) FROM t WHERE x = 42`, nil, &n) == nil && n == 1
	})
}
