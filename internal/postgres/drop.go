package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// dropSQL checks and drops in one statement: the slot is only dropped when
// it is inactive, and the row tells which case happened. No row means the
// slot does not exist. A consumer attaching between the check and the drop
// still makes pg_drop_replication_slot fail with 55006 (it never waits for or
// kills a consumer), which classifies as SlotActive as well.
const dropSQL = `
SELECT s.active, s.active_pid,
       CASE WHEN NOT s.active THEN pg_drop_replication_slot(s.slot_name) IS NOT NULL END
FROM pg_replication_slots s
WHERE s.slot_name = $1`

const (
	errMsgSlotActive   = "replication slot is active"
	errMsgSlotNotFound = "replication slot does not exist"
)

// DropSlot drops an inactive slot. It returns an *Error with ReasonSlotActive
// when a consumer is attached (the slot is kept) and ReasonSlotNotFound when
// there is no such slot, which callers can treat as already done.
func DropSlot(ctx context.Context, q Querier, name string) error {
	if err := ValidateSlotName(name); err != nil {
		return err
	}
	var active bool
	var pid *int32
	var dropped *bool
	err := q.QueryRow(ctx, dropSQL, name).Scan(&active, &pid, &dropped)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &Error{Reason: ReasonSlotNotFound, Message: errMsgSlotNotFound, Detail: name}
	case err != nil:
		return Classify(err)
	case active:
		return &Error{Reason: ReasonSlotActive, Message: errMsgSlotActive, Detail: activeDetail(name, pid)}
	}
	return nil
}

func activeDetail(name string, pid *int32) string {
	if pid == nil {
		return "slot " + name
	}
	return "slot " + name + " is used by PID " + strconv.Itoa(int(*pid))
}
