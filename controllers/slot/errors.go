package slot

import (
	"context"
	"errors"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// stalledReasons are the failures a retry cannot fix: a human must change
// the server, the role or the spec.
var stalledReasons = map[postgres.Reason]string{
	postgres.ReasonPermissionDenied:     api.ReasonPermissionDenied,
	postgres.ReasonWALLevelTooLow:       api.ReasonWALLevelTooLow,
	postgres.ReasonTooManySlots:         api.ReasonTooManySlots,
	postgres.ReasonPluginMissing:        api.ReasonPluginMissing,
	postgres.ReasonAuthenticationFailed: api.ReasonAuthenticationFailed,
	postgres.ReasonAuthMethodRefused:    api.ReasonAuthMethodRefused,
	postgres.ReasonHostRefused:          api.ReasonHostRefused,
	postgres.ReasonDatabaseMissing:      api.ReasonInvalidSpec,
	postgres.ReasonInvalidName:          api.ReasonInvalidSpec,
	postgres.ReasonInvalidInput:         api.ReasonInvalidSpec,
	postgres.ReasonUnsupported:          api.ReasonUnsupported,
}

// standbyBehindOnWALLevel is true when the slot goes on a standby, which
// refused it for the primary's wal_level, while the primary already runs
// with wal_level logical: the fix is made, and the standby applies it when
// it replays the primary's parameter change, so retrying helps. The
// standby's own wal_level must be logical too: that one needs a human.
func standbyBehindOnWALLevel(sc *slotScope) bool {
	if sc.snap == nil || sc.target == nil || sc.target.Identity == nil {
		return false
	}
	p := sc.snap.PrimaryMember()
	return p != nil && p.Identity != nil && p.Addr() != sc.target.Addr() &&
		decodesLogically(p.Identity) && sc.target.Identity.Settings.WALLevel == "logical"
}

// decodesLogically: the primary writes WAL a logical slot can decode. On
// 19 that is effective_wal_level, which wal_level = replica turns logical
// while a logical slot exists (untested against a real 19).
func decodesLogically(id *postgres.Identity) bool {
	if id.LogicalDecodingOnDemand() && id.Settings.EffectiveWALLevel != "" {
		return id.Settings.EffectiveWALLevel == "logical"
	}
	return id.Settings.WALLevel == "logical"
}

// errorOutcome turns a classified PostgreSQL error into an outcome whose
// message says what to do.
func errorOutcome(e *postgres.Error, sc *slotScope) *status.Outcome {
	if e == nil {
		return nil
	}
	msg := errorMessage(e, sc)
	if e.Reason == postgres.ReasonWALLevelTooLow && standbyBehindOnWALLevel(sc) {
		o := status.Retry(api.ReasonWALLevelTooLow, msg+"; the primary has wal_level logical now, and standby "+
			sc.target.Addr()+" takes it once it has replayed the change")
		o.RetryAfter = replayRetry(sc, time.Now())
		return o
	}
	if reason, ok := stalledReasons[e.Reason]; ok {
		return status.Stall(reason, msg)
	}
	switch {
	case e.Reason == postgres.ReasonSlotActive:
		if sc.row != nil && sc.row.Active {
			who, _ := holder(sc, sc.row)
			msg += "; " + who
		}
		return status.Retry(api.ReasonSlotActive, msg)
	case e.Reason == postgres.ReasonSlotExists:
		// Lost a race with another creator (or a stale snapshot): the
		// slot is read and judged like any existing one.
		o := status.Progress(api.ReasonCreating, "the slot appeared while being created; checking it")
		o.Recheck = true
		return o
	case errors.Is(e, context.DeadlineExceeded) && sc.row == nil:
		return status.Progress(api.ReasonCreating, "creation is waiting (for running transactions, or a standby snapshot); retrying: "+msg)
	}
	if e.Transient {
		return status.Retry(api.ReasonServerUnavailable, msg)
	}
	return status.Retry(api.ReasonError, msg)
}

// errorMessage is the error's text with what to do about it, for the role
// slotkeeper connects as on the slot's member.
func errorMessage(e *postgres.Error, sc *slotScope) string {
	msg := e.Error()
	role := ""
	if sc.target != nil && sc.target.Identity != nil {
		role = sc.target.Identity.Rights.User
	}
	if fix := postgres.Remediation(e, role); fix != "" {
		msg += ": " + fix
	}
	return msg
}

// replayRetry is when a slot that waits for its standby to replay the
// primary's wal_level is tried again. Nothing the monitor sees announces
// the replay. Right after the primary's restart the standby takes it
// within seconds, once its WAL receiver reconnects, so the slot looks
// every second for a minute; after that, a standby still behind is far
// behind, and once per poll is enough.
func replayRetry(sc *slotScope, now time.Time) time.Duration {
	p := sc.snap.PrimaryMember()
	if p != nil && p.Identity != nil && now.Sub(p.Identity.PostmasterStart) < time.Minute {
		return time.Second
	}
	return pollEvery(sc)
}

// pollEvery is the monitor period of the slot's server.
func pollEvery(sc *slotScope) time.Duration {
	if sc.ps == nil {
		return api.DefaultPollInterval
	}
	return sc.ps.Spec.PollEvery()
}
