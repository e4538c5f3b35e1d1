package controllers

import (
	"context"
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// competitors lists the other live objects that name the same slot of the
// same server.
func (r *ReplicationSlotReconciler) competitors(ctx context.Context, rs *api.ReplicationSlot) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	key := serverSlotKey(rs.Spec.ServerRef.Name, SlotName(rs))
	if err := r.List(ctx, &list, client.InNamespace(rs.Namespace), client.MatchingFields{indexServerSlot: key}); err != nil {
		return nil, err
	}
	var out []api.ReplicationSlot
	for _, o := range list.Items {
		if o.UID != rs.UID && o.DeletionTimestamp.IsZero() {
			out = append(out, o)
		}
	}
	return out, nil
}

// OldestOwner decides which of several objects naming one slot owns it: the
// oldest, ties broken by name, so every reconcile of every object agrees.
func OldestOwner(objs []api.ReplicationSlot) *api.ReplicationSlot {
	if len(objs) == 0 {
		return nil
	}
	sorted := append([]api.ReplicationSlot(nil), objs...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i].CreationTimestamp, sorted[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
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
	owner := OldestOwner(append(others, *rs))
	if owner.UID == rs.UID {
		return "", nil
	}
	return fmt.Sprintf("ReplicationSlot %q already manages slot %q on PostgresServer %q; delete this object or give it another slotName",
		owner.Name, SlotName(rs), rs.Spec.ServerRef.Name), nil
}
