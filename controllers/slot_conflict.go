package controllers

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// competitors lists the other live objects that declare the same slot on the
// same PostgreSQL cluster. PostgreSQL names slots per cluster, not per
// PostgresServer object, so two teams whose PostgresServers (in any
// namespaces) reach one cluster compete for one slot. A cluster is known by
// its system identifier; two clusters restored from one backup share it,
// which at worst refuses a slot with a Conflict that names the other object
// (safe), whereas missing a real competitor would let one team's deletion
// drop the other's slot.
func (r *ReplicationSlotReconciler) competitors(ctx context.Context, rs *api.ReplicationSlot) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	if err := r.List(ctx, &list, client.MatchingFields{indexSlotName: SlotName(rs)}); err != nil {
		return nil, err
	}
	var out []api.ReplicationSlot
	sysid, known := "", false
	for _, o := range list.Items {
		if o.UID == rs.UID || !o.DeletionTimestamp.IsZero() {
			continue
		}
		if sameServer(&o, rs) {
			out = append(out, o)
			continue
		}
		if !known {
			sysid, known = r.systemIdentifier(ctx, serverKeyOf(rs)), true
		}
		if sysid != "" && r.systemIdentifier(ctx, serverKeyOf(&o)) == sysid {
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

// systemIdentifier is the cluster behind a PostgresServer: the monitor's
// latest view, else the one recorded in its status (kept across operator
// restarts), else "" when it was never reached.
func (r *ReplicationSlotReconciler) systemIdentifier(ctx context.Context, key types.NamespacedName) string {
	if snap := r.Monitor.Snapshot(key); snap != nil && snap.SystemIdentifier != "" {
		return snap.SystemIdentifier
	}
	var ps api.PostgresServer
	if err := r.Get(ctx, key, &ps); err != nil {
		return ""
	}
	return ps.Status.SystemIdentifier
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
	others, err := r.competitors(ctx, rs)
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
