package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// dropSQL checks and drops in one statement: the slot is only dropped when
// it is inactive and still the slot the caller means ($2 type, $3 plugin,
// $4 database; NULL matches anything), and the row tells which case
// happened. No row means the slot does not exist. A consumer attaching
// between the check and the drop still makes pg_drop_replication_slot fail
// with 55006 (it never waits for or kills a consumer), which classifies as
// SlotActive as well.
const dropSQL = `
WITH s AS (
  SELECT slot_name, active, active_pid,
         NOT temporary
         AND slot_type = coalesce($2, slot_type)
         AND coalesce(plugin, '') = coalesce($3, plugin, '')
         AND coalesce(database, '') = coalesce($4, database, '') AS same
  FROM pg_replication_slots WHERE slot_name = $1)
SELECT active, active_pid, same,
       CASE WHEN same AND NOT active THEN pg_drop_replication_slot(slot_name) IS NOT NULL END
FROM s`

const (
	errMsgSlotActive   = "replication slot is active"
	errMsgSlotNotFound = "replication slot does not exist"
	errMsgSlotReplaced = "replication slot is not the one expected (another type, plugin or database, or temporary); left alone"
)

// SlotIdentity is what a slot must be for a drop to go ahead: a slot of
// the same name made by somebody else meanwhile is left alone.
type SlotIdentity struct {
	Type, Plugin, Database string // slot_type, plugin, database
}

// DropSlotIf drops an inactive slot when it is still want (nil: any). It
// returns an *Error with ReasonSlotActive when a consumer is attached,
// ReasonSlotExists when the slot is not want (both keep the slot), and
// ReasonSlotNotFound when there is no such slot, which callers can treat
// as already done.
func DropSlotIf(ctx context.Context, q Querier, name string, want *SlotIdentity) error {
	if err := ValidateSlotName(name); err != nil {
		return err
	}
	var active, same bool
	var pid *int32
	var dropped *bool
	err := q.QueryRow(ctx, dropSQL, append([]any{name}, want.args()...)...).Scan(&active, &pid, &same, &dropped)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &Error{Reason: ReasonSlotNotFound, Message: errMsgSlotNotFound, Detail: name}
	case err != nil:
		return Classify(err)
	case !same:
		return &Error{Reason: ReasonSlotExists, Message: errMsgSlotReplaced, Detail: name}
	case active:
		return &Error{Reason: ReasonSlotActive, Message: errMsgSlotActive, Detail: activeDetail(name, pid)}
	}
	return nil
}

// args are the SQL parameters $2..$4; NULL where nothing is expected.
func (w *SlotIdentity) args() []any {
	if w == nil {
		return []any{nil, nil, nil}
	}
	return []any{w.Type, orNull(w.Plugin), orNull(w.Database)}
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func activeDetail(name string, pid *int32) string {
	if pid == nil {
		return "slot " + name
	}
	return "slot " + name + " is used by PID " + strconv.Itoa(int(*pid))
}

// refusedBeforeDrop are the SQLSTATEs with which PostgreSQL refuses the
// drop statement before pg_drop_replication_slot has removed anything: the
// slot is in use (raised when it is acquired) or gone, or the role may not
// run the statement. Any other server error may come after the drop
// itself, which no rollback undoes: a statement timeout or a shutdown that
// ends the session arrives whenever it arrives.
var refusedBeforeDrop = map[string]bool{"55006": true, "42704": true, "42501": true, "42883": true}

// DropOutcomeKnown tells whether an error of DropSlotIf (nil included)
// says for certain whether the slot was dropped: nil (dropped), DropSlotIf's
// own answers read from its row, a refusal listed in refusedBeforeDrop, or
// a failure before anything was sent (pgconn.SafeToRetry). Otherwise the
// drop may have happened.
func DropOutcomeKnown(err error) bool {
	var ce *Error
	var pe *pgconn.PgError
	switch {
	case err == nil, pgconn.SafeToRetry(err):
		return true
	case errors.As(err, &pe):
		return refusedBeforeDrop[pe.Code]
	case errors.As(err, &ce):
		return ce.Err == nil || refusedBeforeDrop[ce.SQLState]
	}
	return false
}

// NeverSent tells whether an error certainly came before any statement
// reached the server: marked so (pgconn.SafeToRetry, NotSent), or a
// connection that was never made (pgconn.ConnectError, which a pool's
// lazy dial returns from the statement's own call).
func NeverSent(err error) bool {
	var ce *pgconn.ConnectError
	return err != nil && (pgconn.SafeToRetry(err) || errors.As(err, &ce))
}

// NotSent marks an error that came before a statement was sent, so that
// nothing happened on the server: pgconn.SafeToRetry, and so
// DropOutcomeKnown, say so. It wraps err and keeps its classification.
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return notSentError{err}
}

type notSentError struct{ error }

func (e notSentError) Unwrap() error { return e.error }

func (notSentError) SafeToRetry() bool { return true }
