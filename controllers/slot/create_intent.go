package slot

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// forgetIntent clears the creation intent after a creation that certainly
// made no slot (the name was taken, a plugin or right was missing, or the
// statement never left: no connection could be made): a slot found later
// is not this creation's, and must be judged by the adoption rules. A
// transient failure after the statement went out (a connection lost
// mid-statement) may have made one, so the intent stays, and no later
// failure clears it (dropIntent). The clearing is written at once, like
// the intent: when both happen in one reconcile the reconcile's own status
// patch sees no change to write.
func (r *Reconciler) forgetIntent(ctx context.Context, sc *slotScope, e *postgres.Error) error {
	if e == nil {
		return nil
	}
	if e.Transient && !postgres.NeverSent(e) {
		r.intentClean.Delete(client.ObjectKeyFromObject(sc.rs))
		r.settleAttempt(client.ObjectKeyFromObject(sc.rs), e)
		return nil
	}
	return r.dropIntent(ctx, sc)
}

// dropIntent clears an intent after a creation that made nothing, but only
// one this process wrote and under which every creation so far ended
// certain (intentClean): an intent found in place, or one an uncertain
// attempt left, may stand for a CREATE that reached the server, and the
// slot it made must still be known as this object's.
func (r *Reconciler) dropIntent(ctx context.Context, sc *slotScope) error {
	r.settleAttempt(client.ObjectKeyFromObject(sc.rs), nil)
	if sc.rs.Status.Origin != api.OriginCreated || sc.rs.Status.Owned {
		return nil
	}
	key := client.ObjectKeyFromObject(sc.rs)
	if uid, ok := r.intentClean.Load(key); !ok || uid != sc.rs.UID {
		return nil
	}
	if err := r.patchOrigin(ctx, sc, ""); err != nil {
		return err
	}
	r.intentClean.Delete(key)
	return nil
}

// recordCreationIntent writes status.origin Created before the slot is
// created, ahead of the reconcile's own status write: a slot found in
// place after the operator stopped between the creation and that write is
// then known as this object's own, and deletion drops it as usual.
func (r *Reconciler) recordCreationIntent(ctx context.Context, sc *slotScope) error {
	if sc.rs.Status.Origin == api.OriginCreated {
		return nil
	}
	if err := r.patchOrigin(ctx, sc, api.OriginCreated); err != nil {
		return err
	}
	r.intentClean.Store(client.ObjectKeyFromObject(sc.rs), sc.rs.UID)
	return nil
}

// patchOrigin writes status.origin ahead of the reconcile's status write.
func (r *Reconciler) patchOrigin(ctx context.Context, sc *slotScope, origin api.SlotOrigin) error {
	return r.writeAhead(ctx, sc, func(st *api.ReplicationSlotStatus) { st.Origin = origin })
}
