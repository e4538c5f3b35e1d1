package slot

import (
	"context"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
)

// Slot names belong to a PostgreSQL cluster, not to a PostgresServer
// object: two teams whose PostgresServers (in any namespaces, under any host
// names) reach one cluster compete for one slot name. Two tests of "the same
// cluster" serve two purposes:
//
//   - for ownership, the same running primary: the same system identifier
//     and the same postmaster start time, as both servers' monitors see it.
//     Clusters restored from one backup share a system identifier but never
//     a running primary, so each keeps its own slots; a PostgresServer that
//     reaches no primary holds no names against others meanwhile.
//   - for deletion, only the system identifier: a slot is never dropped
//     while another object of the same namespace, behind any server of that
//     identifier, declares it, even one that is unreachable right now or was
//     just restarted (a hand-over within a team).
//
// Both tests read what each PostgresServer's endpoint reports, and every
// namespace chooses its own endpoints: another namespace's object only
// counts where a lie cannot hurt (contests), and never keeps a slot from
// being dropped.
type sameCluster func(a, b clusterView) bool

// clusterView is what is known of the cluster behind one PostgresServer.
type clusterView struct {
	// sysid is the system identifier, "" when never seen.
	sysid string
	// primary identifies the running primary (system identifier and
	// postmaster start); "" when none is reachable.
	primary string
	// probed: the monitor has a snapshot; before the first probe after an
	// operator start only the identifier recorded in status is known.
	probed bool
}

// sameSystem is the deletion test.
func sameSystem(a, b clusterView) bool { return a.sysid != "" && a.sysid == b.sysid }

// samePrimary is the ownership test. A server not probed yet is judged by
// its recorded identifier, so an operator restart does not hand an owned
// slot to a newcomer for the moment before the owner's first probe.
func samePrimary(a, b clusterView) bool {
	if !a.probed || !b.probed {
		return sameSystem(a, b)
	}
	return a.primary != "" && a.primary == b.primary
}

// competitors lists the other objects that declare the same slot on the
// same cluster, by the given test. Objects being deleted count only with
// holding: one that owns the slot still holds it until its deletion has
// dropped or released it.
func (r *Reconciler) competitors(ctx context.Context, rs *api.ReplicationSlot, same sameCluster, holding bool) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	if err := r.List(ctx, &list, client.MatchingFields{index.SlotName: rs.SlotName()}); err != nil {
		return nil, err
	}
	var out []api.ReplicationSlot
	var mine *clusterView
	for _, o := range list.Items {
		if o.UID == rs.UID || (!o.DeletionTimestamp.IsZero() && !(holding && o.Status.Owned)) {
			continue
		}
		if sameServer(&o, rs) {
			out = append(out, o)
			continue
		}
		if mine == nil {
			v := r.clusterOf(ctx, serverKeyOf(rs))
			mine = &v
		}
		if same(*mine, r.clusterOf(ctx, serverKeyOf(&o))) {
			out = append(out, o)
		}
	}
	return out, nil
}

func sameServer(a, b *api.ReplicationSlot) bool {
	return a.Namespace == b.Namespace && a.Spec.ServerRef.Name == b.Spec.ServerRef.Name
}

func serverKeyOf(rs *api.ReplicationSlot) types.NamespacedName {
	return types.NamespacedName{Namespace: rs.Namespace, Name: rs.Spec.ServerRef.Name}
}

// clusterOf reads the cluster behind a PostgresServer from the monitor's
// latest snapshot, and the identifier recorded in its status (kept across
// operator restarts) when the monitor has none.
func (r *Reconciler) clusterOf(ctx context.Context, key types.NamespacedName) clusterView {
	v := clusterView{}
	if snap := r.Monitor.Snapshot(key); snap != nil {
		// A primary is never one refused for another identifier, so the
		// snapshot's identifier is the primary's.
		v.probed, v.sysid = true, snap.SystemIdentifier
		if p := snap.PrimaryMember(); p != nil {
			v.primary = v.sysid + "@" + p.Identity.PostmasterStart.UTC().Format(time.RFC3339Nano)
		}
	}
	if v.sysid == "" {
		var ps api.PostgresServer
		if err := r.Get(ctx, key, &ps); err == nil {
			v.sysid = ps.Status.SystemIdentifier
		}
	}
	return v
}

// slotOwner decides which of several objects naming one slot owns it. An
// object that already owns the slot keeps it: creation times have one-second
// resolution, so a newcomer created in the same second must not take the
// slot from the object that created it. Without such an incumbent (or with
// several, after a race) the oldest wins, ties broken by namespace and name,
// so every reconcile of every object agrees.
func slotOwner(objs []api.ReplicationSlot) *api.ReplicationSlot {
	if len(objs) == 0 {
		return nil
	}
	sorted := append([]api.ReplicationSlot(nil), objs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Status.Owned != sorted[j].Status.Owned {
			return sorted[i].Status.Owned
		}
		a, b := sorted[i].CreationTimestamp, sorted[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		if sorted[i].Namespace != sorted[j].Namespace {
			return sorted[i].Namespace < sorted[j].Namespace
		}
		return sorted[i].Name < sorted[j].Name
	})
	return &sorted[0]
}

// conflictWith judges the other objects that declare rs's slot on the same
// cluster. conflict names an object of rs's namespace that owns the slot
// (the same team: the oldest wins, slotOwner); rs then stops. heldElsewhere
// names an object of another namespace that owns it; rs goes on but must
// not adopt what its own connection finds on its primary under that name.
//
// An object of another namespace was matched to rs's cluster by what its
// own PostgresServer's endpoint reports, and its namespace chooses that
// endpoint; it therefore counts only as the holder of a slot that really
// exists, against an object that does not hold it. A lying endpoint then
// neither keeps anyone from creating a slot that is not there nor takes a
// slot from the object that holds it.
//
// rv names those other namespaces' objects, whatever rs is: the holder
// (owning or creating; a holder being deleted will not create the slot
// again, and one that owns a slot it created keeps a failover's recreation
// record from claiming that slot) and an owner.
func (r *Reconciler) conflictWith(ctx context.Context, rs *api.ReplicationSlot) (conflict, heldElsewhere string, rv rivals, err error) {
	others, err := r.competitors(ctx, rs, samePrimary, true)
	if err != nil {
		return "", "", rivals{}, err
	}
	conflict, heldElsewhere = judgeCompetitors(rs, others)
	return conflict, heldElsewhere, rivals{holder: otherTeamHolder(rs, others), owner: otherTeamOwner(rs, others)}, nil
}

// judgeCompetitors is conflictWith's decision (see there). Two objects of
// different namespaces created at the same moment can both end up owning
// the slot: one made it, the other found the name taken and adopted it
// before the first had recorded its ownership. The adopter yields to the
// object that created the slot, or deleting the creator would drop the
// adopter's slot.
func judgeCompetitors(rs *api.ReplicationSlot, others []api.ReplicationSlot) (conflict, heldElsewhere string) {
	if team := sameTeam(rs, others); len(team) > 0 {
		if owner := slotOwner(append(team, *rs)); owner.UID != rs.UID {
			return conflictMessage(owner, rs), ""
		}
	}
	h := otherTeamHolder(rs, others)
	switch {
	case h == nil:
		return "", ""
	case !rs.Status.Owned:
		return "", conflictMessage(h, rs)
	case rs.Status.Origin != api.OriginCreated && h.Status.Owned && h.Status.Origin == api.OriginCreated:
		return conflictMessage(h, rs) + "; that object created the slot, this one only adopted it", ""
	}
	return "", ""
}

// sameTeam keeps the competitors of rs's own namespace.
func sameTeam(rs *api.ReplicationSlot, others []api.ReplicationSlot) []api.ReplicationSlot {
	var out []api.ReplicationSlot
	for _, o := range others {
		if o.Namespace == rs.Namespace {
			out = append(out, o)
		}
	}
	return out
}

// conflictMessage says who holds the slot. An owner in rs's namespace is
// named; one in another namespace is not: object names are that team's
// business, and the reader may not be allowed to see them.
func conflictMessage(owner, rs *api.ReplicationSlot) string {
	switch {
	case sameServer(owner, rs):
		return fmt.Sprintf("ReplicationSlot %q already manages slot %q on PostgresServer %q; delete this object or give it another slotName",
			owner.Name, rs.SlotName(), rs.Spec.ServerRef.Name)
	case owner.Namespace == rs.Namespace:
		return fmt.Sprintf("ReplicationSlot %q (PostgresServer %q) already manages slot %q on the same PostgreSQL cluster; "+
			"slot names are shared by the whole cluster: give this object another slotName, or delete it",
			owner.Name, owner.Spec.ServerRef.Name, rs.SlotName())
	}
	return fmt.Sprintf("a ReplicationSlot in another namespace already manages slot %q on this PostgreSQL cluster; "+
		"slot names are shared by the whole cluster: give this object another slotName, or delete it", rs.SlotName())
}
