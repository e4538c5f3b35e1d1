package status

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// ServerView is what a snapshot says about a server, in API terms.
type ServerView struct {
	Primary          string
	SystemIdentifier string
	Timeline         int64
	ServerVersion    string
	Members          []api.MemberStatus
	Capabilities     *api.Capabilities
	Settings         *api.ServerSettings
	Slots            *api.SlotCounts
	Unmanaged        []api.UnmanagedSlot
}

// ViewServer maps a snapshot to status fields; managed holds the slot names
// owned by ReplicationSlots of this server.
func ViewServer(snap *observation.Snapshot, managed map[string]bool) ServerView {
	v := ServerView{Members: viewMembers(snap)}
	p := snap.PrimaryMember()
	if p == nil {
		return v
	}
	id := p.Identity
	v.Primary, v.SystemIdentifier, v.Timeline, v.ServerVersion = p.Addr(), id.SystemIdentifier, id.Timeline, id.Version
	v.Capabilities = &api.Capabilities{
		FailoverSlots:    id.SyncsFailoverSlots(),
		LogicalOnStandby: id.LogicalSlotsOnStandby(),
		StandbySnapshot:  id.Rights.StandbySnapshotExists && id.Rights.StandbySnapshotExecute,
		Replication:      id.Rights.Replication || id.Rights.Superuser,
	}
	v.Settings = viewSettings(id)
	v.Slots, v.Unmanaged = viewSlots(snap, p, managed)
	return v
}

func viewMembers(snap *observation.Snapshot) []api.MemberStatus {
	p := snap.PrimaryMember()
	out := make([]api.MemberStatus, 0, len(snap.Members))
	for i := range snap.Members {
		m := &snap.Members[i]
		ms := api.MemberStatus{Host: m.Host, Port: m.Port, Pod: m.Pod, Role: api.RoleUnreachable}
		if m.Identity == nil {
			if m.Err != nil {
				ms.Message = Clip(m.Err.Error(), MaxMemberMessage)
			}
			out = append(out, ms)
			continue
		}
		ms.Role, ms.Timeline, ms.ServerVersion = api.RoleStandby, m.Identity.Timeline, m.Identity.Version
		if !m.Identity.InRecovery {
			ms.Role = api.RolePrimary
		}
		if ms.Role == api.RoleStandby && p != nil && p.Identity.WALPosition >= m.Identity.WALPosition {
			lag := observation.QuantizeBytes(int64(p.Identity.WALPosition - m.Identity.WALPosition))
			ms.ReplayLagBytes = &lag
		}
		out = append(out, ms)
	}
	return out
}

func viewSettings(id *postgres.Identity) *api.ServerSettings {
	s := id.Settings
	return &api.ServerSettings{
		WALLevel:             s.WALLevel,
		MaxReplicationSlots:  s.MaxReplicationSlots,
		UsedReplicationSlots: id.UsedSlots,
		MaxWALSenders:        s.MaxWALSenders,
		MaxSlotWALKeepSize:   s.MaxSlotWALKeepSize,
		HotStandbyFeedback:   s.HotStandbyFeedback,
		SyncReplicationSlots: s.SyncReplicationSlots,
		WALSenderTimeout:     s.WALSenderTimeout,
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
