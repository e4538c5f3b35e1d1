package status

import (
	"fmt"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// SelfHeal says whether slotkeeper may force running-xacts records with
// pg_log_standby_snapshot() on the primary, and if not, why and what fixes
// it. Capability is what the primary reported, never assumed from a version.
func SelfHeal(mode api.StandbySnapshotMode, id *postgres.Identity) (bool, string) {
	switch {
	case mode == api.StandbySnapshotDisabled:
		return false, "self-heal is off: standbySnapshot.mode is Disabled"
	case id == nil:
		return false, "self-heal is off: the primary is unknown"
	case !id.Rights.StandbySnapshotExists:
		return false, fmt.Sprintf("self-heal is off: pg_log_standby_snapshot() needs PostgreSQL 16 or later and the primary runs %s; upgrade to turn it on", id.Version)
	case !id.Rights.StandbySnapshotExecute && !id.Rights.Superuser:
		return false, fmt.Sprintf("self-heal is off: role %s may not run pg_log_standby_snapshot(); run GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO %s", id.Rights.User, postgres.QuoteRole(id.Rights.User))
	}
	return true, ""
}

// Creation is what a waiting creation looks like from outside.
type Creation struct {
	OnStandby bool
	Blockers  []postgres.Blocker
	Waited    time.Duration
	// SelfHeal is true when standby snapshots are forced; Note explains why
	// not otherwise.
	SelfHeal bool
	Note     string
	Interval time.Duration
}

// CreationBlocked returns the reason and message of CreationBlocked, or ""
// when the creation does not look blocked (yet).
func CreationBlocked(c Creation, now time.Time) (string, string) {
	if len(c.Blockers) == 0 && !c.OnStandby {
		return "", ""
	}
	reason := api.ReasonWaitingForTransactions
	msg := fmt.Sprintf("creation has waited %s", c.Waited.Round(time.Second))
	if c.OnStandby {
		reason = api.ReasonWaitingForStandbySnapshot
		msg += " for a running-xacts record from the primary"
	}
	if n := len(c.Blockers); n > 0 {
		msg += fmt.Sprintf("; %d transaction(s) block it, the oldest %s", n, describeBlocker(c.Blockers[0], now))
	}
	if c.SelfHeal {
		msg += fmt.Sprintf("; slotkeeper calls pg_log_standby_snapshot() on the primary every %s", c.Interval)
	} else if c.Note != "" {
		msg += "; " + c.Note
	}
	return reason, msg
}

func describeBlocker(b postgres.Blocker, now time.Time) string {
	s := fmt.Sprintf("pid %d", b.PID)
	if b.ApplicationName != "" {
		s += " (" + b.ApplicationName + ")"
	}
	if b.State != "" {
		s += ", " + b.State
	}
	if b.XactStart != nil {
		s += fmt.Sprintf(", transaction open for %s", now.Sub(*b.XactStart).Round(time.Second))
	}
	return s + ": end or commit it"
}
