package gitops_test

import (
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

const (
	kindSlot   = "ReplicationSlot"
	kindServer = "PostgresServer"
)

// state is one situation the operator puts an object in, and what each
// GitOps tool must make of it.
type state struct {
	name string // object name, and subtest name
	kind string
	seed func(s *seeder, name string) error
	// kstatus is status.Compute's verdict.
	kstatus kstatus.Status
	// argo is the Lua script's hs.status; argoMessage a substring of hs.message.
	argo, argoMessage string
	// waitReady is whether `kubectl wait --for=condition=Ready` succeeds.
	waitReady bool
}

func states() []state {
	return []state{
		// Before the first reconcile the CRD's defaults give status an
		// observedGeneration of 0, so kstatus sees an unobserved generation.
		{name: "slot-new", kind: kindSlot, seed: seedNew(kindSlot),
			kstatus: kstatus.InProgressStatus, argo: "Progressing", argoMessage: "Waiting for slotkeeper to report status"},
		{name: "server-new", kind: kindServer, seed: seedNew(kindServer),
			kstatus: kstatus.InProgressStatus, argo: "Progressing", argoMessage: "Waiting for slotkeeper to report status"},
		{name: "slot-creating", kind: kindSlot, seed: seedSlot(slotCreating()),
			kstatus: kstatus.InProgressStatus, argo: "Progressing", argoMessage: "creating the slot on pg-0.db:5432"},
		{name: "slot-ready", kind: kindSlot, seed: seedSlot(slotAvailable()),
			kstatus: kstatus.CurrentStatus, argo: "Healthy", argoMessage: "inactive: no consumer connected", waitReady: true},
		{name: "slot-stalled", kind: kindSlot, seed: seedSlot(slotPluginMissing()),
			kstatus: kstatus.FailedStatus, argo: "Degraded", argoMessage: "install the output plugin wal2json"},
		{name: "slot-unobserved", kind: kindSlot, seed: seedSlotUnobserved,
			kstatus: kstatus.InProgressStatus, argo: "Progressing", argoMessage: "observe generation 2 (status is for generation 1)"},
		{name: "slot-deleting", kind: kindSlot, seed: seedSlotDeleting,
			kstatus: kstatus.TerminatingStatus, argo: "Progressing", argoMessage: "deleting: not dropping slot \"slot_deleting\": it is active"},
		{name: "slot-datagap", kind: kindSlot, seed: seedSlotGap,
			kstatus: kstatus.CurrentStatus, argo: "Degraded", argoMessage: "DataGap: the slot was recreated (Failover)", waitReady: true},
		{name: "server-probing", kind: kindServer, seed: seedServer(nil, false),
			kstatus: kstatus.InProgressStatus, argo: "Progressing", argoMessage: "probing the members"},
		{name: "server-ready", kind: kindServer, seed: seedServer(onePrimary("logical"), true),
			kstatus: kstatus.CurrentStatus, argo: "Healthy", argoMessage: "primary pg-0.db:5432, PostgreSQL 17.2", waitReady: true},
		{name: "server-stalled", kind: kindServer, seed: seedServer(splitBrain(), true),
			kstatus: kstatus.FailedStatus, argo: "Degraded", argoMessage: "split brain: pg-0.db:5432 and pg-1.db:5432"},
		{name: "server-unobserved", kind: kindServer, seed: seedServerUnobserved,
			kstatus: kstatus.InProgressStatus, argo: "Progressing", argoMessage: "observe generation 2 (status is for generation 1)"},
		{name: "server-deleting", kind: kindServer, seed: seedServerDeleting,
			kstatus: kstatus.TerminatingStatus, argo: "Progressing", argoMessage: "deleting: waiting for 1 ReplicationSlot"},
		{name: "server-prerequisites-missing", kind: kindServer, seed: seedServer(onePrimary("replica"), true),
			kstatus: kstatus.CurrentStatus, argo: "Healthy", argoMessage: "prerequisites missing: wal_level is replica", waitReady: true},
	}
}

// seedNew creates the object only, as kubectl apply does.
func seedNew(kind string) func(*seeder, string) error {
	return func(s *seeder, name string) error {
		var err error
		if kind == kindServer {
			_, err = s.server(name)
		} else {
			_, err = s.slot(name)
		}
		return err
	}
}

func seedSlot(in status.SlotInputs) func(*seeder, string) error {
	return func(s *seeder, name string) error {
		rs, err := s.slot(name)
		if err != nil {
			return err
		}
		return s.slotStatus(rs, in)
	}
}

// seedSlotUnobserved: Ready at generation 1, then a spec change the
// operator has not seen.
func seedSlotUnobserved(s *seeder, name string) error {
	rs, err := s.slot(name)
	if err == nil {
		err = s.slotStatus(rs, slotAvailable())
	}
	if err == nil {
		err = s.update(rs, func() { rs.Spec.DeletionPolicy = api.DeletionRetain })
	}
	return err
}

// seedSlotDeleting: Ready, then deleted while a consumer holds the slot.
func seedSlotDeleting(s *seeder, name string) error {
	rs, err := s.slot(name)
	if err == nil {
		err = s.slotStatus(rs, slotAvailable())
	}
	if err == nil {
		err = s.delete(rs)
	}
	if err == nil {
		err = s.slotStatus(rs, slotActiveWhileDeleting())
	}
	return err
}

// seedSlotGap: Ready, but recreated after a failover with a data gap.
func seedSlotGap(s *seeder, name string) error {
	rs, err := s.slot(name)
	if err != nil {
		return err
	}
	in, gap := slotGap()
	rs.Status.LastDataGap = gap
	rs.Status.Recreations = 1
	return s.slotStatus(rs, in)
}

func seedServer(snap *observation.Snapshot, needsLogical bool) func(*seeder, string) error {
	return func(s *seeder, name string) error {
		ps, err := s.server(name)
		if err != nil {
			return err
		}
		in, view := serverJudged(snap, needsLogical)
		return s.serverStatus(ps, in, view)
	}
}

func seedServerUnobserved(s *seeder, name string) error {
	ps, err := s.server(name)
	if err == nil {
		in, view := serverJudged(onePrimary("logical"), true)
		err = s.serverStatus(ps, in, view)
	}
	if err == nil {
		err = s.update(ps, func() { ps.Spec.Database = "maintenance" })
	}
	return err
}

func seedServerDeleting(s *seeder, name string) error {
	ps, err := s.server(name)
	if err == nil {
		in, view := serverJudged(onePrimary("logical"), true)
		err = s.serverStatus(ps, in, view)
	}
	if err == nil {
		err = s.delete(ps)
	}
	if err == nil {
		err = s.serverStatus(ps, serverDeleting(), nil)
	}
	return err
}
