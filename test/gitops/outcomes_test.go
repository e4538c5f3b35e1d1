package gitops_test

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// The inputs below are the ones the controllers pass to internal/status in
// each state; where internal/status judges a snapshot itself (a server),
// the snapshot is built and judged rather than the outcome written by hand.

// slotCreating is what slot_creation.go reports while a creation runs.
func slotCreating() status.SlotInputs {
	return status.SlotInputs{Outcome: status.Outcome{Phase: status.Progressing,
		Reason: api.ReasonCreating, Message: "creating the slot on pg-0.db:5432"}}
}

// slotAvailable is availableOutcome for an observed, unused slot.
func slotAvailable() status.SlotInputs {
	quota := resource.MustParse("20Gi") // spec.maxRetainedWAL
	retained, budget := int64(48<<20), quota.Value()
	return status.SlotInputs{Observed: true, WALStatus: "reserved", RetainedBytes: &retained, BudgetBytes: &budget,
		Outcome: status.Outcome{Phase: status.Available, Reason: api.ReasonAvailable,
			Message: "inactive: no consumer connected"}}
}

// slotPluginMissing is errorOutcome for a creation PostgreSQL refused
// because the output plugin is not installed.
func slotPluginMissing() status.SlotInputs {
	e := &postgres.Error{Reason: postgres.ReasonPluginMissing, SQLState: "58P01",
		Message: `could not access file "wal2json": No such file or directory`}
	msg := e.Error() + ": " + postgres.Remediation(e, "slotkeeper")
	return status.SlotInputs{Outcome: status.Outcome{Phase: status.Stalled, Reason: api.ReasonPluginMissing, Message: msg}}
}

// slotActiveWhileDeleting is dropForDeletion refusing to drop a slot a
// consumer still streams from: what a deleting ReplicationSlot shows.
func slotActiveWhileDeleting() status.SlotInputs {
	return status.SlotInputs{Outcome: status.Outcome{Phase: status.Retrying, Reason: api.ReasonSlotActive,
		Message: `not dropping slot "slot_deleting": it is active (pid 4242); stop its consumer, or set deletionPolicy: Retain`}}
}

// slotGap is an available slot recreated after a failover, the gap not yet
// acknowledged.
func slotGap() (status.SlotInputs, *api.DataGap) {
	gap := &api.DataGap{Reason: api.ReasonFailover, FromLSN: "0/3000060", ToLSN: "0/5000028",
		At: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	in := slotAvailable()
	in.Gap = gap
	return in, gap
}

// member is a reachable member of the server "db".
func member(host string, inRecovery bool, walLevel string) observation.Member {
	return observation.Member{Endpoint: observation.Endpoint{Host: host, Port: 5432},
		Identity: &postgres.Identity{InRecovery: inRecovery, VersionNum: 170002, Version: "17.2",
			SystemIdentifier: "7300000000000000001", Timeline: 1,
			Settings: postgres.Settings{WALLevel: walLevel, MaxReplicationSlots: 10},
			Rights:   postgres.Rights{User: "slotkeeper", Replication: true}}}
}

// onePrimary is a healthy snapshot: a primary and a standby.
func onePrimary(walLevel string) *observation.Snapshot {
	return &observation.Snapshot{Primary: 0, Claims: []string{"pg-0.db:5432"},
		Members: []observation.Member{member("pg-0.db", false, walLevel), member("pg-1.db", true, walLevel)}}
}

// splitBrain is a snapshot where both members accept writes.
func splitBrain() *observation.Snapshot {
	return &observation.Snapshot{Primary: -1, Claims: []string{"pg-0.db:5432", "pg-1.db:5432"},
		Members: []observation.Member{member("pg-0.db", false, "logical"), member("pg-1.db", false, "logical")}}
}

// serverJudged is PostgresServerReconciler.observe: judge the snapshot,
// then build the condition inputs and the status view from it.
func serverJudged(snap *observation.Snapshot, needsLogical bool) (status.ServerInputs, *status.ServerView) {
	o, missing, known := status.ServerOutcome(snap, needsLogical)
	in := status.ServerInputs{Outcome: o, Missing: missing, PrerequisitesKnown: known}
	if snap.SplitBrain() {
		in.SplitBrain = snap.Claims
	}
	if snap == nil {
		return in, nil
	}
	view := status.ViewServer(snap, nil)
	return in, &view
}

// serverDeleting is finalize waiting for the server's slots to go.
func serverDeleting() status.ServerInputs {
	return status.ServerInputs{Outcome: status.Outcome{Phase: status.Progressing, Reason: api.ReasonDeleting,
		Message: "waiting for 1 ReplicationSlot(s) that use this server to be deleted"}}
}
