package status

import (
	"fmt"
	"strings"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// ServerOutcome judges a snapshot: whether the server is usable, and which
// prerequisites are missing. needsLogical is true when a ReplicationSlot of
// the server is logical, since only then wal_level = logical matters.
func ServerOutcome(snap *observation.Snapshot, needsLogical bool) (Outcome, []string, bool) {
	if snap == nil {
		return Outcome{Phase: Progressing, Reason: api.ReasonProgressing, Message: "probing the members"}, nil, false
	}
	if snap.SplitBrain() {
		return Outcome{Phase: Stalled, Reason: api.ReasonSplitBrain,
			Message: "split brain: " + strings.Join(snap.Claims, " and ") + " both accept writes; fence one of them"}, nil, false
	}
	p := snap.PrimaryMember()
	if p == nil {
		return noPrimary(snap), nil, false
	}
	missing := Prerequisites(p.Identity, needsLogical)
	missing = append(missing, refused(snap)...)
	return Outcome{Phase: Available, Reason: api.ReasonConnected,
		Message: fmt.Sprintf("primary %s, PostgreSQL %s", p.Addr(), p.Identity.Version)}, missing, true
}

// noPrimary explains why no member can be used. A wrong password or a
// missing right will not fix itself; anything else is retried.
func noPrimary(snap *observation.Snapshot) Outcome {
	if e := snap.FirstError(); e != nil {
		switch e.Reason {
		case postgres.ReasonAuthenticationFailed, postgres.ReasonPermissionDenied, postgres.ReasonDatabaseMissing,
			postgres.ReasonAuthMethodRefused, postgres.ReasonHostRefused:
			return Outcome{Phase: Stalled, Reason: string(e.Reason), Message: memberErrors(snap)}
		case postgres.ReasonInvalidInput:
			return Outcome{Phase: Stalled, Reason: api.ReasonInvalidSpec, Message: memberErrors(snap)}
		}
		if reachable(snap) == 0 {
			return Outcome{Phase: Retrying, Reason: api.ReasonServerUnavailable, Message: memberErrors(snap)}
		}
	}
	return Outcome{Phase: Retrying, Reason: api.ReasonNoPrimary,
		Message: "no reachable member is a primary (all are in recovery); waiting for a promotion"}
}

func reachable(snap *observation.Snapshot) int {
	n := 0
	for i := range snap.Members {
		if snap.Members[i].Reachable() {
			n++
		}
	}
	return n
}

func memberErrors(snap *observation.Snapshot) string {
	var parts []string
	for i := range snap.Members {
		if e := snap.Members[i].Err; e != nil {
			parts = append(parts, snap.Members[i].Addr()+": "+e.Error())
		}
	}
	return strings.Join(parts, "; ")
}

func refused(snap *observation.Snapshot) []string {
	var out []string
	for _, r := range snap.Refused {
		out = append(out, r+": it belongs to another cluster, remove it from spec.hosts")
	}
	return out
}

// Prerequisites lists what the primary or the role lacks, each with the
// statement or setting that fixes it.
func Prerequisites(id *postgres.Identity, needsLogical bool) []string {
	var out []string
	r := id.Rights
	if !r.Replication && !r.Superuser {
		out = append(out, fmt.Sprintf("role %q lacks the REPLICATION attribute: ALTER ROLE %s REPLICATION", r.User, postgres.QuoteRole(r.User)))
	}
	if needsLogical {
		if miss := logicalWALLevelMissing(id); miss != "" {
			out = append(out, miss)
		}
	}
	if m := id.Settings.MaxReplicationSlots; m > 0 && id.UsedSlots >= m {
		out = append(out, fmt.Sprintf("all %d replication slots are in use: raise max_replication_slots and restart PostgreSQL", m))
	}
	return out
}

// logicalWALLevelMissing says what keeps a primary from creating logical
// slots, "" when nothing does. Up to 18 that takes wal_level = logical; on
// 19 wal_level = replica is enough, since creating a logical slot turns
// effective_wal_level to logical (untested against a real 19).
func logicalWALLevelMissing(id *postgres.Identity) string {
	level := id.Settings.WALLevel
	switch {
	case level == "logical":
		return ""
	case id.LogicalDecodingOnDemand() && level == "replica":
		return ""
	case id.LogicalDecodingOnDemand():
		return fmt.Sprintf("wal_level is %s, logical slots need replica or logical: set wal_level = replica (or logical) and restart PostgreSQL", level)
	}
	return fmt.Sprintf("wal_level is %s, logical slots need logical: set wal_level = logical and restart PostgreSQL", level)
}
