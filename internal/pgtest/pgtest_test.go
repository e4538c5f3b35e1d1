package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestLifecycle drives every supported major through what the operator's
// tests need: roles, a streaming standby, promotion, crash and restart.
// Majors run one after another: the machines running this have 2 cores.
func TestLifecycle(t *testing.T) {
	for _, major := range MajorsFromEnv() {
		t.Run(fmt.Sprintf("PostgreSQL%d", major), func(t *testing.T) {
			start := time.Now()
			testLifecycle(t, major)
			t.Logf("PostgreSQL %d: %v", major, time.Since(start).Round(time.Millisecond))
		})
	}
}

func testLifecycle(t *testing.T, major int) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	primary := StartPrimaryT(t, Options{Major: major, Name: "primary"})
	checkRoles(ctx, t, primary)

	standby := primary.AddStandbyT(t, "standby_1", map[string]string{"work_mem": "8MB"})
	if got := scalar[bool](ctx, t, standby, `SELECT pg_is_in_recovery()`); !got {
		t.Fatal("standby is not in recovery")
	}
	if got := scalar[bool](ctx, t, primary, `SELECT active FROM pg_replication_slots WHERE slot_name = 'standby_1'`); !got {
		t.Fatal("slot standby_1 is not active")
	}
	must(t, primary.Exec(ctx, `CREATE TABLE t (x int); INSERT INTO t VALUES (1)`))
	eventually(ctx, t, "row replicated to standby", func() bool {
		var n int
		return standby.queryRow(ctx, `SELECT count(*) FROM t`, nil, &n) == nil && n == 1
	})

	checkSettings(ctx, t, primary)
	must(t, standby.Stop())
	must(t, standby.Start(ctx))
	must(t, standby.Promote(ctx))
	if scalar[bool](ctx, t, standby, `SELECT pg_is_in_recovery()`) {
		t.Fatal("promoted standby still in recovery")
	}
	must(t, standby.Exec(ctx, `INSERT INTO t VALUES (2)`))

	must(t, primary.Crash())
	if primary.Running() || len(PostmasterPIDs(primary.DataDir)) > 0 {
		t.Fatal("postmaster alive after Crash")
	}
	must(t, primary.Start(ctx))
	if got := scalar[int](ctx, t, primary, `SELECT count(*) FROM t`); got != 1 {
		t.Fatalf("primary has %d rows after crash recovery, want 1", got)
	}

	dirs := []string{primary.DataDir, standby.DataDir}
	standby.Cleanup()
	primary.Cleanup()
	primary.Cleanup() // idempotent
	for _, dir := range dirs {
		if pids := PostmasterPIDs(dir); len(pids) > 0 {
			t.Errorf("postmaster %v still serves %s", pids, dir)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Cleanup (%v)", dir, err)
		}
	}
}

// checkRoles: password roles work, wrong passwords fail with 28P01.
func checkRoles(ctx context.Context, t *testing.T, s *Server) {
	must(t, s.CreateRole(ctx, "app", "s3cr'et", true))
	must(t, s.CreateRole(ctx, "app", "s3cr'et", true)) // rerun converges
	must(t, s.CreateDatabase(ctx, "appdb"))
	must(t, s.CreateDatabase(ctx, "appdb"))
	conn, err := pgx.Connect(ctx, s.DSN("app", "s3cr'et", "appdb"))
	must(t, err)
	var monitor bool
	must(t, conn.QueryRow(ctx, `SELECT pg_has_role('pg_monitor', 'MEMBER')`).Scan(&monitor))
	must(t, conn.Close(ctx))
	if !monitor {
		t.Error("app is not a member of pg_monitor")
	}
	_, err = pgx.Connect(ctx, s.DSN("app", "wrong", "appdb"))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("wrong password: got %v, want SQLSTATE 28P01", err)
	}
}

// checkSettings covers reload, restart and the rejection of a bad value.
func checkSettings(ctx context.Context, t *testing.T, s *Server) {
	must(t, s.SetSettings(ctx, map[string]string{"work_mem": "7MB"}, false))
	if got := scalar[string](ctx, t, s, `SHOW work_mem`); got != "7MB" {
		t.Errorf("work_mem after reload = %s", got)
	}
	must(t, s.SetSettings(ctx, map[string]string{"max_replication_slots": "7"}, true))
	if got := scalar[string](ctx, t, s, `SHOW max_replication_slots`); got != "7" {
		t.Errorf("max_replication_slots after restart = %s", got)
	}
	for _, bad := range []map[string]string{{"work_mem": "lots"}, {"no_such_setting": "1"}} {
		if err := s.SetSettings(ctx, bad, true); err == nil {
			t.Errorf("SetSettings accepted %v", bad)
		}
	}
	must(t, s.SetSettings(ctx, map[string]string{"work_mem": "4MB"}, true))
	if got := scalar[string](ctx, t, s, `SHOW work_mem`); got != "4MB" {
		t.Errorf("work_mem after restart = %s", got)
	}
}

func TestCleanupRemovesDirectories(t *testing.T) {
	major := MajorsFromEnv()[0]
	ctx := t.Context()
	a, err := StartPrimary(ctx, Options{Major: major, Name: "cleanup a"})
	must(t, err)
	b, err := StartPrimary(ctx, Options{Major: major, Name: "cleanup-b", Settings: map[string]string{"wal_level": "replica"}})
	must(t, err)
	must(t, b.Stop())
	must(t, b.Stop()) // idempotent
	dirs := []string{a.baseDir, b.baseDir}
	CleanupAll()
	a.Cleanup()
	for _, s := range []*Server{a, b} {
		if len(PostmasterPIDs(s.DataDir)) > 0 || s.Running() {
			t.Errorf("%s still running", s.Name())
		}
		if s.Start(ctx) == nil {
			t.Errorf("%s started after Cleanup", s.Name())
		}
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Cleanup (%v)", dir, err)
		}
	}
	if len(Servers()) != 0 {
		t.Errorf("registry still holds %d servers", len(Servers()))
	}
}

func TestMajorsFromEnv(t *testing.T) {
	t.Setenv("PGTEST_MAJORS", "17, 15,17")
	if got := fmt.Sprint(MajorsFromEnv()); got != "[17 15]" {
		t.Errorf("MajorsFromEnv = %s", got)
	}
	t.Setenv("PGTEST_MAJORS", "")
	if got := fmt.Sprint(MajorsFromEnv()); got != "[15 16 17 18]" {
		t.Errorf("MajorsFromEnv = %s", got)
	}
	t.Setenv("PGTEST_MAJORS", "14")
	defer func() {
		if recover() == nil {
			t.Error("PGTEST_MAJORS=14 did not panic")
		}
	}()
	MajorsFromEnv()
}

func TestDSN(t *testing.T) {
	s := &Server{Host: "127.0.0.1", Port: 5433}
	if got, want := s.DSN("u", "p@ss/w", "db"), "postgres://u:p%40ss%2Fw@127.0.0.1:5433/db?sslmode=disable&connect_timeout=5"; got != want {
		t.Errorf("DSN = %s, want %s", got, want)
	}
	if got, want := s.SuperuserDSN("postgres"), "postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable&connect_timeout=5"; got != want {
		t.Errorf("SuperuserDSN = %s, want %s", got, want)
	}
}

func scalar[T any](ctx context.Context, t *testing.T, s *Server, sql string) T {
	t.Helper()
	var v T
	must(t, s.queryRow(ctx, sql, nil, &v))
	return v
}

func eventually(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
