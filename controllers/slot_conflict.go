package controllers

import (
	"context"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
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
//     while an object behind any server of that identifier declares it, even
//     one that is unreachable right now or was just restarted. Leaving a
//     slot in place is recoverable; dropping another team's is not.
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

// competitors lists the other live objects that declare the same slot on the
// same cluster, by the given test.
func (r *ReplicationSlotReconciler) competitors(ctx context.Context, rs *api.ReplicationSlot, same sameCluster) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	if err := r.List(ctx, &list, client.MatchingFields{indexSlotName: SlotName(rs)}); err != nil {
		return nil, err
	}
	var out []api.ReplicationSlot
	var mine *clusterView
	for _, o := range list.Items {
		if o.UID == rs.UID || !o.DeletionTimestamp.IsZero() {
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
func (r *ReplicationSlotReconciler) clusterOf(ctx context.Context, key types.NamespacedName) clusterView {
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

// SlotOwner decides which of several objects naming one slot owns it. An
// object that already owns the slot keeps it: creation times have one-second
// resolution, so a newcomer created in the same second must not take the
// slot from the object that created it. Without such an incumbent (or with
// several, after a race) the oldest wins, ties broken by namespace and name,
// so every reconcile of every object agrees.
func SlotOwner(objs []api.ReplicationSlot) *api.ReplicationSlot {
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

// conflictWith returns a message when another object owns the slot.
func (r *ReplicationSlotReconciler) conflictWith(ctx context.Context, rs *api.ReplicationSlot) (string, error) {
	others, err := r.competitors(ctx, rs, samePrimary)
	if err != nil || len(others) == 0 {
		return "", err
	}
	owner := SlotOwner(append(others, *rs))
	if owner.UID == rs.UID {
		return "", nil
	}
	return conflictMessage(owner, rs), nil
}

// conflictMessage names the owner; one in another namespace or behind
// another PostgresServer is named with both, since its users may not be
// the reader's team.
func conflictMessage(owner, rs *api.ReplicationSlot) string {
	if sameServer(owner, rs) {
		return fmt.Sprintf("ReplicationSlot %q already manages slot %q on PostgresServer %q; delete this object or give it another slotName",
			owner.Name, SlotName(rs), rs.Spec.ServerRef.Name)
	}
	return fmt.Sprintf("ReplicationSlot %s/%s (PostgresServer %s/%s) already manages slot %q on the same PostgreSQL cluster; "+
		"slot names are shared by the whole cluster: give this object another slotName, or delete it",
		owner.Namespace, owner.Name, owner.Namespace, owner.Spec.ServerRef.Name, SlotName(rs))
}
