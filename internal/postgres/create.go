package postgres

import (
	"context"
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
