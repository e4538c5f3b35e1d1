package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// IdleDeadline is when PostgreSQL 18+'s idle_replication_slot_timeout
// makes an inactive slot eligible for invalidation: the first checkpoint
// (restartpoint on a standby) after At invalidates it with reason
// idle_timeout unless a consumer acquires it first.
type IdleDeadline struct {
	InactiveSince, At time.Time
	// Setting is the timeout as the server shows it, e.g. "1d".
	Setting string
	// Standby: the member is in recovery, where restartpoints do it.
	Standby bool
}

// IdleInvalidation returns the deadline for a slot on the member id, or
// nil when the timeout cannot invalidate it. PostgreSQL 18's
// CanInvalidateIdleSlot spares slots when the timeout is 0, slots that
// reserve no WAL (restart_lsn NULL), active slots, and a standby's synced
// copies (the sync worker never acquires them, so they always look idle).
// Both instants are whole seconds, and neither moves while the slot stays
// inactive, so a message built from them is the same every poll.
func IdleInvalidation(row *postgres.Slot, id *postgres.Identity) *IdleDeadline {
	if row == nil || id == nil || !id.InvalidatesIdleSlots() {
		return nil
	}
	timeout := id.Settings.IdleSlotTimeout()
	switch {
	case timeout <= 0, row.Active, row.InactiveSince == nil, row.RestartLSN == nil:
		return nil
	case row.InvalidationReason != "", row.WALStatus == "lost":
		return nil // already invalidated: Ready and WALRetentionHealthy say so
	case id.InRecovery && row.Synced:
		return nil
	}
	since := row.InactiveSince.UTC().Truncate(time.Second)
	return &IdleDeadline{InactiveSince: since, At: since.Add(timeout),
		Setting: id.Settings.IdleReplicationSlotTimeout, Standby: id.InRecovery}
}

// idleNotePrefix starts the idle note, which is always the last part of
// the WALRetentionHealthy message (see RetentionStableText).
const idleNotePrefix = "inactive since "

// idleNote says when PostgreSQL will invalidate the slot, in absolute
// times: a countdown would change the status on every poll.
func idleNote(d *IdleDeadline) string {
	point := "checkpoint"
	if d.Standby {
		point = "restartpoint"
	}
	return fmt.Sprintf("%s%s: PostgreSQL invalidates it at the first %s after %s (idle_replication_slot_timeout = %s) unless a consumer connects",
		idleNotePrefix, d.InactiveSince.Format(time.RFC3339), point, d.At.Format(time.RFC3339), d.Setting)
}

// withIdleNote appends the idle note to a WALRetentionHealthy message.
func withIdleNote(msg string, d *IdleDeadline) string {
	if d == nil {
		return msg
	}
	if msg == "" {
		return idleNote(d)
	}
	return msg + "; " + idleNote(d)
}

// RetentionStableText is the part of a WALRetentionHealthy message that
// holds no moving figure: the idle note, or "". The status writer compares
// it where it ignores the figures, so a timeout set (or lifted) on the
// server reaches the status at once, not with the next figure refresh.
func RetentionStableText(msg string) string {
	if strings.HasPrefix(msg, idleNotePrefix) {
		return msg
	}
	if i := strings.LastIndex(msg, "; "+idleNotePrefix); i >= 0 {
		return msg[i+2:]
	}
	return ""
}
