package controllers

import (
	"time"

	"k8s.io/utils/ptr"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// holder describes the process holding the slot in row and whether it
// looks stale, for every message that says the slot is in use.
func holder(sc *slotScope, row *postgres.Slot) (string, bool) {
	return status.Holder(status.HolderInputs{PID: row.ActivePID, Consumer: row.Consumer, Now: time.Now(),
		Timeout: walSenderTimeout(sc), LagBytes: ptr.Deref(lagBytes(sc, row), 0), StillSince: sc.stillSince})
}

// walSenderTimeout is the holding member's wal_sender_timeout (0 when
// disabled); PostgreSQL's default when it cannot be read.
func walSenderTimeout(sc *slotScope) time.Duration {
	if sc.target == nil || sc.target.Identity == nil {
		return status.DefaultWALSenderTimeout
	}
	d, err := postgres.ParseSettingDuration(sc.target.Identity.Settings.WALSenderTimeout, time.Millisecond)
	if err != nil {
		return status.DefaultWALSenderTimeout
	}
	return d
}
