package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Slot is one row of pg_replication_slots plus the retained WAL and the
// consumer holding it. Columns missing on a server version read as zero.
type Slot struct {
	Name, Type, Plugin, Database string // Type is "logical" or "physical"
	Temporary, Active            bool
	ActivePID                    int32
	Xmin, CatalogXmin            string // "" when NULL
	RestartLSN                   *LSN
	ConfirmedFlushLSN            *LSN
	WALStatus                    string // reserved, extended, unreserved, lost
	SafeWALSize                  *int64
	TwoPhase                     bool
	TwoPhaseAt                   *LSN // PostgreSQL 18+
	Failover, Synced             bool // PostgreSQL 17+
	Conflicting                  bool // PostgreSQL 16+, logical slots only
	InvalidationReason           string
	InactiveSince                *time.Time // PostgreSQL 17+
	// SlotSyncSkipReason (PostgreSQL 19+, meaningful on a standby's synced
	// copy) is why the slot sync worker last skipped the copy; "" when the
	// last sync succeeded or the column does not exist.
	SlotSyncSkipReason string
	// RetainedBytes is the current WAL position (replay position on a
	// standby) minus restart_lsn; nil when the slot reserves no WAL.
	RetainedBytes *int64
	Consumer      *Consumer
}

// ConsumerPosition is what a consumer moves: confirmed_flush_lsn for a
// logical slot, restart_lsn for a physical one; nil when neither is set.
func (s *Slot) ConsumerPosition() *LSN {
	if s.ConfirmedFlushLSN != nil {
		return s.ConfirmedFlushLSN
	}
	return s.RestartLSN
}

// Consumer is the pg_stat_activity row of the walsender using a slot.
type Consumer struct {
	PID             int32
	ApplicationName string
	ClientAddr      string // "" for Unix-socket connections
	State           string
	BackendStart    *time.Time
	// SenderState is the walsender's state (startup, catchup, streaming,
	// backup, stopping); "" for a slot held by a SQL function.
	SenderState string
	// ReplyTime is when the walsender last heard from its client; nil when
	// it never did or the slot is not held through a walsender.
	ReplyTime *time.Time
}

// Server versions at which pg_replication_slots gained columns.
const (
	version14 = 140000 // two_phase
	version16 = 160000 // conflicting
	version17 = 170000 // inactive_since, invalidation_reason, failover, synced
	version18 = 180000 // two_phase_at; idle_replication_slot_timeout
	version19 = 190000 // slotsync_skip_reason; effective_wal_level
)

// versionColumn picks the real column from minVersion on and a typed
// placeholder before, so every version returns the same shape.
func versionColumn(versionNum, minVersion int, column, placeholder string) string {
	if versionNum >= minVersion {
		return column
	}
	return placeholder
}

// slotSelect returns the SELECT shared by ListSlots and GetSlot. Only
// version-dependent column text varies; values always travel as parameters.
func slotSelect(versionNum int) string {
	cols := []string{
		"s.slot_name::text", "s.slot_type", "s.plugin::text", "s.database::text",
		"s.temporary", "s.active", "s.active_pid",
		"s.xmin::text", "s.catalog_xmin::text", "s.restart_lsn::text", "s.confirmed_flush_lsn::text",
		"s.wal_status", "s.safe_wal_size",
		versionColumn(versionNum, version14, "s.two_phase", "false"),
		versionColumn(versionNum, version18, "s.two_phase_at::text", "NULL::text"),
		versionColumn(versionNum, version17, "s.failover", "false"),
		versionColumn(versionNum, version17, "s.synced", "false"),
		versionColumn(versionNum, version16, "COALESCE(s.conflicting, false)", "false"),
		versionColumn(versionNum, version17, "s.invalidation_reason", "NULL::text"),
		versionColumn(versionNum, version17, "s.inactive_since", "NULL::timestamptz"),
		// Untested against a real 19: no release exists yet.
		versionColumn(versionNum, version19, "s.slotsync_skip_reason", "NULL::text"),
		// NULL when restart_lsn is NULL; clamped at 0 in fill (GREATEST
		// would turn NULL into 0).
		`pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()
		     THEN COALESCE(pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn())
		     ELSE pg_current_wal_lsn() END, s.restart_lsn)::bigint`,
		"a.pid", "a.application_name", "host(a.client_addr)", "a.state", "a.backend_start",
		"r.state", "r.reply_time",
	}
	return "SELECT " + strings.Join(cols, ",\n       ") + `
FROM pg_replication_slots s
LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid
LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid`
}

// ListSlots reads every slot on the server in one query, ordered by name.
func ListSlots(ctx context.Context, q Querier, versionNum int) ([]Slot, error) {
	rows, err := q.Query(ctx, slotSelect(versionNum)+"\nORDER BY s.slot_name")
	if err != nil {
		return nil, Classify(err)
	}
	slots, err := pgx.CollectRows(rows, scanSlot)
	if err != nil {
		return nil, Classify(err)
	}
	return slots, nil
}

// GetSlot reads one slot by name; it returns (nil, nil) when there is none.
func GetSlot(ctx context.Context, q Querier, versionNum int, name string) (*Slot, error) {
	rows, err := q.Query(ctx, slotByNameSQL(versionNum), name)
	if err != nil {
		return nil, Classify(err)
	}
	row, err := oneSlot(rows)
	if err != nil {
		return nil, Classify(err)
	}
	return row, nil
}

// slotByNameSQL selects one slot by name ($1).
func slotByNameSQL(versionNum int) string {
	return slotSelect(versionNum) + "\nWHERE s.slot_name = $1"
}

// oneSlot scans the row of a by-name query: nil when there is none.
func oneSlot(rows pgx.Rows) (*Slot, error) {
	slots, err := pgx.CollectRows(rows, scanSlot)
	if err != nil || len(slots) == 0 {
		return nil, err
	}
	return &slots[0], nil
}
