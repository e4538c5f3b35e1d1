package pgtest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// HoldSlot plays a real replication consumer so that a slot is genuinely
// active (pg_replication_slots.active, a walsender in pg_stat_activity),
// which no amount of SQL can fake. It is for tests and the demo; it uses
// nothing of the operator's own PostgreSQL code, so that code's tests can
// use it too.

// HoldApplicationName is the application_name of HoldSlot's walsender.
const HoldApplicationName = "slotkeeper-holdslot"

// HoldPublication is the empty publication HoldSlot creates and streams for
// a pgoutput slot when the database has no publication of its own (pgoutput
// requires at least one, and one that exists).
const HoldPublication = "slotkeeper_hold"

const (
	holdStatusInterval = 5 * time.Second
	holdReleaseWait    = 10 * time.Second
	errMsgHoldNoSlot   = "holdslot: no such slot"
	errMsgHoldStart    = "holdslot: server did not start streaming"
)

// HoldSlot connects to dsn as a streaming replication client and starts
// streaming from slot (START_REPLICATION ... LOGICAL or PHYSICAL), answering
// keepalives so the walsender stays. For a logical slot dsn must name the
// slot's database; a pgoutput consumer streams the database's publications,
// or, when there is none, HoldPublication, which it creates (that needs
// CREATE on the database). release stops the consumer and waits (up to 10s)
// until the server reports the slot inactive again.
func HoldSlot(ctx context.Context, dsn, slot string, logical bool) (release func(), err error) {
	if !holdableName.MatchString(slot) {
		return nil, fmt.Errorf("holdslot: %q is not a slot name", slot)
	}
	options, err := holdOptions(ctx, dsn, slot, logical)
	if err != nil {
		return nil, err
	}
	conn, err := connectReplication(ctx, dsn, logical)
	if err != nil {
		return nil, err
	}
	// The replication protocol has no parameters: the validated name is
	// quoted, since a bare name starting with a digit is a syntax error.
	quoted := pgx.Identifier{slot}.Sanitize()
	command := "START_REPLICATION SLOT " + quoted + " LOGICAL 0/0" + options
	if !logical {
		var start string
		if start, err = currentFlushLSN(ctx, conn); err != nil {
			_ = conn.Close(ctx)
			return nil, err
		}
		command = "START_REPLICATION SLOT " + quoted + " PHYSICAL " + start
	}
	if err := startStreaming(ctx, conn, command); err != nil {
		_ = conn.Close(ctx)
		return nil, err
	}
	return keepStreaming(conn, dsn, slot), nil
}

// holdOptions looks the slot up over an ordinary, parameterised connection
// and returns the plugin options for START_REPLICATION: none for
// test_decoding and physical slots, protocol and publications for pgoutput.
func holdOptions(ctx context.Context, dsn, slot string, logical bool) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close(ctx) }()
	var plugin *string
	var pubs string
	err = conn.QueryRow(ctx, `SELECT s.plugin::text,
	      COALESCE((SELECT string_agg(pubname, ',' ORDER BY pubname) FROM pg_publication
	                WHERE pubname ~ '^[a-z0-9_]+$'), '')
	    FROM pg_replication_slots s WHERE s.slot_name = $1`, slot).Scan(&plugin, &pubs)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%s: %s", errMsgHoldNoSlot, slot)
	}
	if err != nil {
		return "", err
	}
	if !logical || plugin == nil || *plugin != "pgoutput" {
		return "", nil
	}
	if pubs == "" {
		if err := ensureHoldPublication(ctx, conn); err != nil {
			return "", err
		}
		pubs = HoldPublication
	}
	// Publication names were filtered to [a-z0-9_]+, safe inside quotes.
	return " (proto_version '1', publication_names '" + pubs + "')", nil
}

// ensureHoldPublication creates the empty publication HoldPublication.
// pgoutput fails on the first decoded change when a requested publication
// does not exist, which would end the consumer; an empty one publishes
// nothing and keeps it streaming. It needs CREATE on the database.
func ensureHoldPublication(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "CREATE PUBLICATION "+HoldPublication)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42710" {
		return nil // created concurrently
	}
	return err
}

// connectReplication opens a walsender connection: replication=database for
// logical decoding, replication=true for physical streaming.
func connectReplication(ctx context.Context, dsn string, logical bool) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["replication"] = "true"
	if logical {
		cfg.RuntimeParams["replication"] = "database"
	}
	cfg.RuntimeParams["application_name"] = HoldApplicationName
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// currentFlushLSN asks the walsender where WAL ends (IDENTIFY_SYSTEM's
// xlogpos). Physical streaming starts there: that WAL always exists, unlike
// 0/0 whose segment has long been recycled.
func currentFlushLSN(ctx context.Context, conn *pgconn.PgConn) (string, error) {
	results, err := conn.Exec(ctx, "IDENTIFY_SYSTEM").ReadAll()
	if err != nil {
		return "", err
	}
	if len(results) != 1 || len(results[0].Rows) != 1 || len(results[0].Rows[0]) < 3 {
		return "", errors.New(errMsgHoldStart)
	}
	lsn := string(results[0].Rows[0][2])
	if !lsnText.MatchString(lsn) {
		return "", fmt.Errorf("%s: xlogpos %q", errMsgHoldStart, lsn)
	}
	return lsn, nil
}

// pgEpoch is PostgreSQL's timestamp epoch.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// holdableName is PostgreSQL's rule for slot names; the name is quoted into
// a replication command, which takes no parameters.
var holdableName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// lsnText is an LSN as the walsender prints it, e.g. 0/1A2B3C8.
var lsnText = regexp.MustCompile(`^[0-9A-F]{1,8}/[0-9A-F]{1,8}$`)
