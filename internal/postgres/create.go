package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// LogicalSlotOptions describe a logical slot to create.
type LogicalSlotOptions struct {
	Name, Plugin string
	TwoPhase     bool // decode prepared transactions at PREPARE time
	Failover     bool // PostgreSQL 17+: sync the slot to standbys
}

const (
	createLogicalSQL   = `SELECT lsn::text FROM pg_create_logical_replication_slot($1, $2, false, $3)`
	createLogicalSQL17 = `SELECT lsn::text FROM pg_create_logical_replication_slot($1, $2, false, $3, $4)`
	createPhysicalSQL  = `SELECT lsn::text FROM pg_create_physical_replication_slot($1, $2)`

	errMsgFailoverUnsupported = "failover slots need PostgreSQL 17 or later"
	errMsgNoLSN               = "server returned no consistent point"
)

// CreateLogicalSlot creates a persistent logical slot and returns its
// consistent point. A logical slot belongs to a database, so q must be
// connected to that database.
func CreateLogicalSlot(ctx context.Context, q Querier, versionNum int, o LogicalSlotOptions) (LSN, error) {
	if err := ValidateSlotName(o.Name); err != nil {
		return 0, err
	}
	if err := validatePlugin(o.Plugin); err != nil {
		return 0, err
	}
	var lsn *string
	var err error
	switch {
	case versionNum >= version17:
		err = q.QueryRow(ctx, createLogicalSQL17, o.Name, o.Plugin, o.TwoPhase, o.Failover).Scan(&lsn)
	case o.Failover:
		return 0, &Error{Reason: ReasonUnsupported, Message: errMsgFailoverUnsupported}
	default:
		err = q.QueryRow(ctx, createLogicalSQL, o.Name, o.Plugin, o.TwoPhase).Scan(&lsn)
	}
	if err != nil {
		return 0, Classify(err)
	}
	if lsn == nil {
		return 0, &Error{Reason: ReasonUnknown, Message: errMsgNoLSN}
	}
	return ParseLSN(*lsn)
}

// CreatePhysicalSlot creates a persistent physical slot. With reserveWAL the
// slot holds WAL from now on and its restart_lsn is returned; otherwise WAL
// is only held once a standby first connects, and 0 is returned.
func CreatePhysicalSlot(ctx context.Context, q Querier, name string, reserveWAL bool) (LSN, error) {
	if err := ValidateSlotName(name); err != nil {
		return 0, err
	}
	var lsn *string
	if err := q.QueryRow(ctx, createPhysicalSQL, name, reserveWAL).Scan(&lsn); err != nil {
		return 0, Classify(err)
	}
	if lsn == nil {
		return 0, nil
	}
	return ParseLSN(*lsn)
}

// Batcher sends several statements in one round trip; *pgx.Conn,
// *pgxpool.Pool and pgx.Tx satisfy it.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// CreatePhysicalSlotRow creates a physical slot as CreatePhysicalSlot does
// and reads its row back in the same round trip (and on the same
// connection, so the row is never missing): a batch of new slots costs one
// pooled connection turn per slot instead of two.
func CreatePhysicalSlotRow(ctx context.Context, q Batcher, versionNum int, name string, reserveWAL bool) (*Slot, error) {
	if err := ValidateSlotName(name); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(createPhysicalSQL, name, reserveWAL)
	b.Queue(slotByNameSQL(versionNum), name)
	res := q.SendBatch(ctx, b)
	row, err := readCreatedRow(res)
	if cerr := res.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, Classify(err)
	}
	if row == nil {
		return nil, &Error{Reason: ReasonUnknown, Message: "the slot was created but is not in pg_replication_slots"}
	}
	return row, nil
}

func readCreatedRow(res pgx.BatchResults) (*Slot, error) {
	var lsn *string
	if err := res.QueryRow().Scan(&lsn); err != nil {
		return nil, err
	}
	rows, err := res.Query()
	if err != nil {
		return nil, err
	}
	return oneSlot(rows)
}
