package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// slotRow holds the nullable columns of slotSelect before conversion.
type slotRow struct {
	plugin, database, xmin, catalogXmin  *string
	restartLSN, confirmedLSN, twoPhaseAt *string
	walStatus, invalidationReason        *string
	syncSkipReason                       *string
	activePID                            *int32
	consumerPID                          *int32
	appName, clientAddr, state           *string
	backendStart                         *time.Time
	senderState                          *string
	replyTime                            *time.Time
}

// scanSlot is a pgx.RowToFunc for the columns of slotSelect, in order.
func scanSlot(row pgx.CollectableRow) (Slot, error) {
	var s Slot
	var r slotRow
	err := row.Scan(
		&s.Name, &s.Type, &r.plugin, &r.database, &s.Temporary, &s.Active, &r.activePID,
		&r.xmin, &r.catalogXmin, &r.restartLSN, &r.confirmedLSN,
		&r.walStatus, &s.SafeWALSize,
		&s.TwoPhase, &r.twoPhaseAt, &s.Failover, &s.Synced, &s.Conflicting,
		&r.invalidationReason, &s.InactiveSince, &r.syncSkipReason, &s.RetainedBytes,
		&r.consumerPID, &r.appName, &r.clientAddr, &r.state, &r.backendStart,
		&r.senderState, &r.replyTime,
	)
	if err != nil {
		return Slot{}, err
	}
	clipAll(&s.Name, &s.Type)
	return r.fill(s)
}

// fill copies the nullable values into s, NULL becoming "" or nil.
func (r *slotRow) fill(s Slot) (Slot, error) {
	s.Plugin, s.Database = deref(r.plugin), deref(r.database)
	s.Xmin, s.CatalogXmin = deref(r.xmin), deref(r.catalogXmin)
	s.WALStatus, s.InvalidationReason = deref(r.walStatus), deref(r.invalidationReason)
	s.SlotSyncSkipReason = deref(r.syncSkipReason)
	if s.RetainedBytes != nil && *s.RetainedBytes < 0 {
		// A standby replaying behind a slot's restart_lsn retains nothing.
		*s.RetainedBytes = 0
	}
	if r.activePID != nil {
		s.ActivePID = *r.activePID
	}
	var err error
	if s.RestartLSN, err = parseNullLSN(r.restartLSN); err != nil {
		return Slot{}, err
	}
	if s.ConfirmedFlushLSN, err = parseNullLSN(r.confirmedLSN); err != nil {
		return Slot{}, err
	}
	if s.TwoPhaseAt, err = parseNullLSN(r.twoPhaseAt); err != nil {
		return Slot{}, err
	}
	if r.consumerPID != nil {
		s.Consumer = &Consumer{
			PID: *r.consumerPID, ApplicationName: deref(r.appName),
			ClientAddr: deref(r.clientAddr), State: deref(r.state), BackendStart: r.backendStart,
			SenderState: deref(r.senderState), ReplyTime: r.replyTime,
		}
	}
	return s, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return clipText(*s)
}
