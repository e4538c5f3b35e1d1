package creator

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// session names one backend in one transaction: a pid alone may be reused
// by a later backend, and a backend moves on to other transactions.
type session struct {
	pid   int32
	start int64
	xid   string
}

func sessionOf(b postgres.Blocker) session {
	return session{pid: b.PID, start: b.BackendStart.UnixMicro(), xid: b.XID}
}

// terminate ends the blockers that have blocked the creation for longer
// than TerminateAfter: the creation has waited that long and so has the
// blocker's own transaction. Each is ended by one statement that checks
// again, at that instant, that it is the same session in the same
// transaction and that it still blocks (see postgres.TerminateBlocker).
// The note says why blockers due were left running.
func (j *job) terminate(ctx context.Context, blockers []postgres.Blocker) (ended, refused []postgres.Blocker, note string) {
	after := j.req.TerminateAfter
	if after <= 0 || time.Since(j.state().Started) < after {
		return nil, nil, ""
	}
	due, refused := dueForTermination(blockers, after, time.Now(), j.handled)
	for _, b := range refused {
		j.handled[sessionOf(b)] = true
	}
	if len(due) == 0 {
		return nil, refused, ""
	}
	base, q, note := j.termination(ctx)
	if q == nil {
		return nil, refused, note
	}
	unproven := 0
	for _, b := range due {
		if base.Horizon != "" && !xidPrecedes(b.XID, base.Horizon) {
			unproven++
			continue
		}
		t := base
		t.PID, t.BackendStart, t.XID, t.OlderThan = b.PID, b.BackendStart, b.XID, after
		ok, err := postgres.TerminateBlocker(ctx, q, t)
		if err != nil {
			refused = append(refused, b)
		} else if ok {
			ended = append(ended, b)
		}
		if err != nil || ok {
			j.handled[sessionOf(b)] = true
		}
	}
	if unproven > 0 {
		note = fmt.Sprintf("%d transaction(s) on the primary are old enough to terminate but were not known to the standby "+
			"when the creation began (xid not before %s), so nothing proves they block it: slotkeeper leaves them running", unproven, base.Horizon)
	}
	return ended, refused, note
}

// termination returns what every termination for this creation checks,
// and where it runs: on the member itself, the creation's slot (its
// blockers are the holders of the lock its creator waits on); for a
// creation on a standby, the primary, with the creation's horizon read
// from the standby. Without a horizon nothing is proven, and nothing ended.
func (j *job) termination(ctx context.Context) (postgres.Termination, postgres.Querier, string) {
	if !j.req.OnStandby {
		q, err := querier(ctx, j.req.Target)
		if err != nil {
			return postgres.Termination{}, nil, "blockers were not terminated: " + err.Error()
		}
		return postgres.Termination{Slot: j.req.Options.Name}, q, ""
	}
	const unproven = "blockers were not terminated: the creation's xmin horizon on the standby could not be read, so nothing proves which primary transactions block it"
	standby, err := querier(ctx, j.req.Target)
	if err != nil {
		return postgres.Termination{}, nil, unproven + " (" + err.Error() + ")"
	}
	horizon, err := postgres.CreationHorizon(ctx, standby, j.req.Options.Name)
	if err != nil || horizon == "" {
		return postgres.Termination{}, nil, unproven
	}
	q, err := querier(ctx, j.req.Primary)
	if err != nil {
		return postgres.Termination{}, nil, "blockers were not terminated: " + err.Error()
	}
	return postgres.Termination{Horizon: horizon}, q, ""
}

// dueForTermination picks the blockers whose transaction has run for at
// least after and that were not dealt with before; superusers' sessions
// are refused (PostgreSQL would refuse the operator anyway) and reported.
func dueForTermination(bs []postgres.Blocker, after time.Duration, now time.Time, handled map[session]bool) (due, refused []postgres.Blocker) {
	for _, b := range bs {
		switch {
		case handled[sessionOf(b)], b.XID == "", b.XactStart == nil, now.Sub(*b.XactStart) < after:
		case b.Superuser:
			refused = append(refused, b)
		default:
			due = append(due, b)
		}
	}
	return due, refused
}

// xidPrecedes compares two 32-bit transaction ids as PostgreSQL does,
// modulo 2^32: a precedes b when b is less than 2^31 ahead of it.
// Unreadable ids never precede anything.
func xidPrecedes(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 32)
	y, errB := strconv.ParseUint(b, 10, 32)
	if errA != nil || errB != nil {
		return false
	}
	return int32(uint32(x)-uint32(y)) < 0
}
