package slot

import (
	"fmt"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// holder describes the process holding the slot in row and whether it
// looks stale, for every message that says the slot is in use.
func holder(sc *slotScope, row *postgres.Slot) (string, bool) {
	return status.Holder(status.HolderInputsOf(sc.target, row, sc.stillSince, time.Now()))
}

// holderSummary says what keeps the slot's WAL: its consumer and how far it has
// confirmed, or since when no consumer has been connected.
func holderSummary(s *api.ReplicationSlotStatus) string {
	switch {
	case s.Consumer != nil && s.Consumer.ApplicationName != "":
		return fmt.Sprintf("held by %s (pid %d), confirmed up to %s", s.Consumer.ApplicationName, s.Consumer.PID, orDash(s.ConfirmedFlushLSN, s.RestartLSN))
	case s.Active != nil && *s.Active:
		return fmt.Sprintf("held by pid %d, confirmed up to %s", s.ActivePID, orDash(s.ConfirmedFlushLSN, s.RestartLSN))
	case s.InactiveSince != nil:
		return "no consumer connected since " + s.InactiveSince.UTC().Format(time.RFC3339)
	}
	return "no consumer connected"
}

func orDash(lsns ...string) string {
	for _, l := range lsns {
		if l != "" {
			return l
		}
	}
	return "-"
}
