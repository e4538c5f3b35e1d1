package controllers

import (
	"context"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// forgetIntent clears the creation intent after a creation that certainly
// made no slot (the name was taken, a plugin or right was missing): a slot
// found later is not this creation's. A transient failure (a connection
// lost mid-statement) may have made one, so the intent stays.
func forgetIntent(sc *slotScope, e *postgres.Error) {
	if e != nil && !e.Transient && sc.rs.Status.Origin == api.OriginCreated && !sc.rs.Status.Owned {
		sc.rs.Status.Origin = ""
	}
}

// recordCreationIntent writes status.origin Created before the slot is
// created, ahead of the reconcile's own status write: a slot found in
// place after the operator stopped between the creation and that write is
// then known as this object's own, and deletion drops it as usual.
func (r *ReplicationSlotReconciler) recordCreationIntent(ctx context.Context, sc *slotScope) error {
	if sc.rs.Status.Origin == api.OriginCreated {
		return nil
	}
	obj := sc.rs.DeepCopy()
	base := obj.DeepCopy()
	obj.Status.Origin = api.OriginCreated
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return err
	}
	sc.rs.Status.Origin = api.OriginCreated
	return nil
}
