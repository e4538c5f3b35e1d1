package slot

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// writeAhead writes one status change at once, ahead of the reconcile's
// own status write, and then makes it in the scope's object too. It is
// for records that must be durable before the action they announce: the
// creation intent (status.origin), a recreation's attempt (status.loss), a
// standby copy about to be made (status.copies), an ignore_slots entry
// about to be written (status.ignoreSlotsEntry). The patch is made from a
// copy of the object, so it carries this change alone; the reconcile's
// other changes wait for its own write, whose base (sc.base) takes this
// change too, so that write does not send it again.
func (r *Reconciler) writeAhead(ctx context.Context, sc *slotScope, change func(*api.ReplicationSlotStatus)) error {
	obj := sc.rs.DeepCopy()
	base := obj.DeepCopy()
	change(&obj.Status)
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return err
	}
	change(&sc.rs.Status)
	if sc.base != nil {
		change(&sc.base.Status)
	}
	return nil
}
