package slot

import (
	"context"
	"slices"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
	"k8s.io/apimachinery/pkg/types"
)

// writeCopy writes the record of the copy on c's standby ahead of the
// reconcile's status write; a nil c removes the record of ep.
func (r *Reconciler) writeCopy(ctx context.Context, sc *slotScope, ep observation.Endpoint, c *api.SlotCopy) error {
	return r.writeAhead(ctx, sc, func(st *api.ReplicationSlotStatus) {
		st.Copies = withoutCopy(slices.Clone(st.Copies), recordAt(sc.snap, ep))
		if c != nil {
			st.Copies = append(st.Copies, withPod(sc, *c))
		}
	})
}

// foreignCopyNote: the standby has a slot of this name nobody recorded as a
// copy; slotkeeper leaves it alone.
// Under CloudNativePG that slot is most likely its own copy of the
// primary's physical slot (replicationSlots.synchronizeReplicas), which it
// would make again after a drop: say so instead of fighting it.
func foreignCopyNote(sc *slotScope) string {
	return status.ForeignCopyNote(haManagerOf(sc))
}

// noteCopyFailure says why a copy could not be made (e is not nil). A name already taken
// is a slot slotkeeper did not make (one made moments ago may not be in the
// snapshot yet).
func noteCopyFailure(sc *copyScope, m *observation.Member, e *postgres.Error) {
	if e.Reason == postgres.ReasonSlotExists {
		sc.note(m, foreignCopyNote(sc.slotScope))
		return
	}
	sc.note(m, "cannot create the copy: "+e.Error())
}

// forgetIfGone forgets a recorded copy the snapshot does not list, once a
// direct read confirms it is gone (dropped behind slotkeeper's back): the
// snapshot can predate the copy's creation. The next pass makes it again.
func (r *Reconciler) forgetIfGone(ctx context.Context, sc *slotScope, m *observation.Member) {
	if row, err := r.readOn(ctx, sc, m); err == nil && row == nil {
		removeCopy(sc, m.Endpoint)
	}
}

// readOn reads the slot straight from one member (nil when absent).
func (r *Reconciler) readOn(ctx context.Context, sc *slotScope, m *observation.Member) (*postgres.Slot, error) {
	pool, err := r.Conns.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err != nil {
		return nil, err
	}
	return postgres.GetSlot(ctx, pool, m.Identity.VersionNum, sc.name)
}

func copyKey(rs *api.ReplicationSlot, ep observation.Endpoint) types.NamespacedName {
	return types.NamespacedName{Namespace: rs.Namespace, Name: rs.Name + "@" + ep.Addr()}
}

func addCopy(sc *slotScope, c api.SlotCopy) {
	removeCopy(sc, observation.Endpoint{Host: c.Host, Port: c.Port})
	sc.rs.Status.Copies = append(sc.rs.Status.Copies, withPod(sc, c))
}

// withPod names in the record the Pod the snapshot lists at its address,
// so that the record follows that Pod (copies_pods.go).
func withPod(sc *slotScope, c api.SlotCopy) api.SlotCopy {
	if sc.snap == nil || c.Pod != "" {
		return c
	}
	if m := sc.snap.Member(c.Host, c.Port); m != nil {
		c.Pod = m.Pod
	}
	return c
}

// removeCopy forgets the record of the copy on the member at ep.
func removeCopy(sc *slotScope, ep observation.Endpoint) {
	sc.rs.Status.Copies = withoutCopy(sc.rs.Status.Copies, recordAt(sc.snap, ep))
}

// withoutCopy is copies without the records of (recordAt); nil when none
// is left.
func withoutCopy(copies []api.SlotCopy, of func(api.SlotCopy) bool) []api.SlotCopy {
	copies = slices.DeleteFunc(copies, of)
	if len(copies) == 0 {
		return nil
	}
	return copies
}

// markConsistent records the copies the consumer has confirmed past, in
// the same pass that FailoverReady judges them ready, so the record a
// failover reads never lags the condition.
func markConsistent(sc *slotScope) {
	confirmed := sc.row.ConfirmedFlushLSN
	for i := range sc.rs.Status.Copies {
		c := &sc.rs.Status.Copies[i]
		start, err := postgres.ParseLSN(c.StartLSN)
		if c.StartLSN != "" && err == nil && confirmed != nil && *confirmed >= start {
			c.Consistent = true
		}
	}
}
