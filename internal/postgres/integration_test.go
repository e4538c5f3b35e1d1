package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

const (
	repRole     = "slot_rep"
	repPassword = "rep-pass"
	noRepRole   = "slot_norep"
	appDB       = "app"
	standbyName = "standby1"
	// standbySecret is put in the standby's primary_conninfo to prove that
	// Identify never returns it (postgres is trusted, so it is ignored).
	standbySecret = "conninfo-secret"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.CleanupAll()
	os.Exit(code)
}

// env is one primary and its standby for one major, shared by subtests so
// that each version starts as few servers as possible (the CI machine has
// two cores).
type env struct {
	major            int
	primary, standby *pgtest.Server
}

func (e *env) cfg(s *pgtest.Server, user, password, db string) ConnConfig {
	return ConnConfig{Host: s.Host, Port: s.Port, User: user, Password: password, Database: db}
}

// connect opens a connection as the replication role, closed with the test.
func (e *env) connect(t *testing.T, s *pgtest.Server, db string) *pgx.Conn {
	t.Helper()
	conn, err := Connect(t.Context(), e.cfg(s, repRole, repPassword, db))
	if err != nil {
		t.Fatalf("connect to %s as %s: %v", db, repRole, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func (e *env) versionNum() int { return e.major * 10000 }

func TestPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL servers")
	}
	for _, major := range pgtest.MajorsFromEnv() {
		t.Run(strconv.Itoa(major), func(t *testing.T) {
			start := time.Now()
			e := newEnv(t, major)
			t.Run("IdentifyPrimary", e.testIdentifyPrimary)
			t.Run("IdentifyStandby", e.testIdentifyStandby)
			t.Run("IdentifyHAManager", e.testIdentifyHAManager)
			t.Run("Slots", e.testSlots)
			t.Run("SetFailover", e.testSetFailover)
			t.Run("LSNScan", e.testLSNScan)
			t.Run("ListSlotsOnStandby", e.testListSlotsOnStandby)
			t.Run("Errors", e.testErrors)
			t.Run("ActiveConsumer", e.testActiveConsumer)
			t.Run("Pools", e.testPools)
			t.Run("Limits", e.testLimits)
			t.Run("DropIf", e.testDropIf)
			t.Run("TimelineSwitch", e.testTimelineSwitch)
			t.Run("IdleTimeout", e.testIdleTimeout)
			t.Logf("PostgreSQL %d: %v", major, time.Since(start).Round(time.Millisecond))
		})
	}
}

func newEnv(t *testing.T, major int) *env {
	ctx := t.Context()
	p := pgtest.StartPrimaryT(t, pgtest.Options{Major: major, Name: "postgres-pkg"})
	must(t, p.CreateDatabase(ctx, appDB))
	must(t, p.CreateRole(ctx, repRole, repPassword, true))
	must(t, p.CreateRole(ctx, noRepRole, repPassword, false))
	// Lets HoldSlot create its empty publication for pgoutput consumers.
	must(t, p.Exec(ctx, "GRANT CREATE ON DATABASE "+appDB+" TO "+repRole))
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres password=%s application_name=%s dbname=postgres",
		p.Host, p.Port, standbySecret, standbyName)
	s := p.AddStandbyT(t, standbyName, map[string]string{"primary_conninfo": conninfo})
	return &env{major: major, primary: p, standby: s}
}

// writeWAL inserts rows into a table of db as superuser, producing WAL and,
// for logical slots of db, changes to decode.
func (e *env) writeWAL(t *testing.T, db string) {
	t.Helper()
	conn, err := e.primary.Connect(t.Context(), db)
	must(t, err)
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(t.Context(), "CREATE TABLE IF NOT EXISTS wal_filler(i int PRIMARY KEY GENERATED ALWAYS AS IDENTITY, v text)")
	must(t, err)
	_, err = conn.Exec(t.Context(), "INSERT INTO wal_filler(v) SELECT 'row ' || g FROM generate_series(1, 500) g")
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantReason fails unless err classifies as reason.
func wantReason(t *testing.T, what string, err error, reason Reason) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %v (%T), want *Error %s", what, err, err, reason)
	}
	if e.Reason != reason {
		t.Fatalf("%s: reason %s (SQLSTATE %s: %s), want %s", what, e.Reason, e.SQLState, e.Message, reason)
	}
	return e
}
