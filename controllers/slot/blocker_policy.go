package slot

import (
	"fmt"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// maxBlockersShown caps status.blockers.
const maxBlockersShown = 10

// terminationAllowed: the server's owner, not the slot's, decides whether
// slotkeeper may end other sessions on it.
func terminationAllowed(ps *api.PostgresServer) bool {
	return ps != nil && ps.Spec.Blockers != nil && ps.Spec.Blockers.Terminate == api.TerminateAllowed
}

func queryTextShown(ps *api.PostgresServer) bool {
	return ps != nil && ps.Spec.Blockers != nil && ps.Spec.Blockers.QueryText == api.QueryTextShown
}

// effectiveTerminateAfter is the slot's terminateBlockersAfter where its
// server allows terminations, else 0 (off).
func effectiveTerminateAfter(rs *api.ReplicationSlot, ps *api.PostgresServer) time.Duration {
	if !terminationAllowed(ps) {
		return 0
	}
	return terminateAfter(rs)
}

// blockerView splits blockers into those of the slot's database, which its
// readers may see (without query text unless shown), and a count of the
// rest: other databases belong to other tenants.
func blockerView(bs []postgres.Blocker, database string, showQuery bool) (own []postgres.Blocker, others int) {
	for _, b := range bs {
		if b.Database != database {
			others++
			continue
		}
		if !showQuery {
			b.Query = ""
		}
		own = append(own, b)
	}
	return own, others
}

// creationBlocked is status.CreationBlocked for the slot's own blockers,
// with those of other databases counted and the termination policy said.
func creationBlocked(c status.Creation, others int, termination string, now time.Time) (string, string) {
	reason, msg := status.CreationBlocked(c, now)
	if others > 0 && reason == "" {
		reason = api.ReasonWaitingForTransactions
		msg = fmt.Sprintf("creation has waited %s", c.Waited.Round(time.Second))
	}
	if others > 0 {
		msg += fmt.Sprintf("; %d transaction(s) in other databases block it (counted only: "+
			"the server's administrator finds them in pg_stat_activity)", others)
	}
	if reason != "" && termination != "" {
		msg += "; " + termination
	}
	return reason, msg
}

// terminationNote says why a slot's terminateBlockersAfter ends nothing:
// its server does not allow it, or the creator could not prove a blocker
// blocks.
func terminationNote(rs *api.ReplicationSlot, ps *api.PostgresServer, creatorNote string) string {
	if terminateAfter(rs) <= 0 {
		return ""
	}
	if !terminationAllowed(ps) {
		name := ""
		if ps != nil {
			name = " " + ps.Name
		}
		return fmt.Sprintf("terminateBlockersAfter is ignored: PostgresServer%s does not allow terminating blockers "+
			"(its spec.blockers.terminate is not Allowed)", name)
	}
	return creatorNote
}

func apiBlockers(bs []postgres.Blocker) []api.Blocker {
	if len(bs) > maxBlockersShown {
		bs = bs[:maxBlockersShown]
	}
	var out []api.Blocker
	for _, b := range bs {
		out = append(out, api.Blocker{PID: b.PID, XID: b.XID, XactStart: timePtr(b.XactStart),
			ApplicationName: b.ApplicationName, State: b.State, Database: b.Database, Query: b.Query})
	}
	return out
}
