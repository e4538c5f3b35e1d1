package slot

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The objects of other namespaces that declare a slot's name on its
// cluster and hold it. They count only where a lie cannot hurt (see
// sameCluster): at adoption, and for a missing or newly made slot.

// rivals are the objects of other namespaces that declare rs's slot on
// its cluster and hold it: the holder, a creator first, and an owner.
type rivals struct{ holder, owner *api.ReplicationSlot }

// otherTeamHolder is a competitor of another namespace that owns the slot
// or is creating it (it records status.origin Created before it creates),
// the creator first.
func otherTeamHolder(rs *api.ReplicationSlot, others []api.ReplicationSlot) *api.ReplicationSlot {
	var holder *api.ReplicationSlot
	for i := range others {
		o := &others[i]
		if o.Namespace == rs.Namespace || !(o.Status.Owned || o.Status.Origin == api.OriginCreated) {
			continue
		}
		if holder == nil || (o.Status.Origin == api.OriginCreated && holder.Status.Origin != api.OriginCreated) {
			holder = o
		}
	}
	return holder
}

// otherTeamOwner is a competitor of another namespace that owns the slot,
// one that is not being deleted first: unlike otherTeamHolder, an owner
// wins over an object still creating.
func otherTeamOwner(rs *api.ReplicationSlot, others []api.ReplicationSlot) *api.ReplicationSlot {
	var owner *api.ReplicationSlot
	for i := range others {
		o := &others[i]
		if o.Namespace == rs.Namespace || !o.Status.Owned {
			continue
		}
		if owner == nil || (holderLeaving(owner) && !holderLeaving(o)) {
			owner = o
		}
	}
	return owner
}
