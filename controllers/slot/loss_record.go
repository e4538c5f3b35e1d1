package slot

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// A noted loss (newcomer.go) lives in this process's memory and, through
// every status write, in status.loss: a process that starts after the
// sighting takes it from there. Without it a restart between finding the
// slot gone and telling its loss forgot the gap, and took a slot somebody
// else made under the name meanwhile for the one that was lost.

// record is the status form of a noted loss.
func (l lostSlot) record() *api.SlotLoss {
	return &api.SlotLoss{Member: l.member, Timeline: l.timeline, Since: metav1.NewTime(l.since), Reason: l.loss.reason,
		FromLSN: l.loss.from, FromTimeline: l.loss.timeline, Attempted: l.uncertain}
}

// sameLoss: a and b record the same loss (times compared as instants:
// one read back from the API has lost its monotonic clock reading).
func sameLoss(a, b *api.SlotLoss) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Since, y.Since = metav1.Time{}, metav1.Time{}
	return x == y && a.Since.Equal(&b.Since)
}

// lostFromStatus is the loss status records, as this process notes one.
func lostFromStatus(rs *api.ReplicationSlot) (lostSlot, bool) {
	rec := rs.Status.Loss
	if rec == nil || lossOutlived(rs) {
		return lostSlot{}, false
	}
	return lostSlot{uid: rs.UID, member: rec.Member, timeline: rec.Timeline, uncertain: rec.Attempted, since: rec.Since.Time,
		loss: loss{reason: rec.Reason, from: rec.FromLSN, timeline: rec.FromTimeline}}, true
}

// lossOutlived: status says Ready since a second after the loss was
// seen. slotkeeper never writes a loss beside a Ready that turned True
// after it (the reconcile that makes the slot Ready again tells the loss
// and drops it); an operator version from before status.loss does, when
// it handled the loss after a rollback: taking that loss up again would
// tell a gap twice. Within the second a gap told twice is the lesser
// error: one not told at all.
func lossOutlived(rs *api.ReplicationSlot) bool {
	c := status.ConditionOf(rs.Status.Conditions, api.ConditionReady)
	return c.Status == metav1.ConditionTrue && c.LastTransitionTime.After(rs.Status.Loss.Since.Time)
}

// loadLoss returns the loss noted for the object, wherever it is: a loss
// this process has not noted is taken from status, and noted from then on.
func (r *Reconciler) loadLoss(rs *api.ReplicationSlot) (lostSlot, bool) {
	key := client.ObjectKeyFromObject(rs)
	if v, ok := r.lost.Load(key); ok && v.(lostSlot).uid == rs.UID {
		return v.(lostSlot), true
	}
	l, ok := lostFromStatus(rs)
	if !ok {
		return lostSlot{}, false
	}
	r.lost.Store(key, l)
	return l, true
}

// lossToWrite is status.loss for the reconcile's status write: the noted
// loss, or none once that write tells it. An attempt that certainly made
// nothing keeps its mark until a write made anyway: a recreation that
// keeps failing would otherwise cost two writes per try (the mark ahead
// of it, the clearing after), where it now costs none once marked.
func (r *Reconciler) lossToWrite(sc *slotScope) *api.SlotLoss {
	l, ok := r.loadLoss(sc.rs)
	if sc.lossTold || !ok {
		return nil
	}
	rec := l.record()
	if was := sc.rs.Status.Loss; was != nil && was.Attempted && !rec.Attempted && sc.base != nil {
		marked := *rec
		marked.Attempted = true
		if sameLoss(was, &marked) && onlyLossDiffers(&sc.base.Status, &sc.rs.Status) {
			return &marked
		}
	}
	return rec
}

// onlyLossDiffers: the two statuses are equal but for status.loss.
func onlyLossDiffers(a, b *api.ReplicationSlotStatus) bool {
	x, y := *a, *b
	x.Loss, y.Loss = nil, nil
	return equality.Semantic.DeepEqual(x, y)
}

// recordAttempt marks the noted loss as attempted, in status, before a
// recreation's CREATE is sent: a slot that CREATE makes before the
// operator stops is then, after the restart, taken for the recreation's
// own, with the loss told, not for somebody else's newcomer.
func (r *Reconciler) recordAttempt(ctx context.Context, sc *slotScope) error {
	l, ok := r.lostHere(sc)
	if !ok {
		return nil
	}
	l.uncertain = true
	rec := l.record()
	if !sameLoss(sc.rs.Status.Loss, rec) {
		if err := r.writeAhead(ctx, sc, func(st *api.ReplicationSlotStatus) { c := *rec; st.Loss = &c }); err != nil {
			return err
		}
	}
	r.lost.Store(client.ObjectKeyFromObject(sc.rs), l)
	return nil
}

// noteAttempt marks the noted loss as attempted by a failover's bulk
// recreation, whose record on the PostgresServer is written before its
// CREATE: the status write that follows keeps the mark.
func (r *Reconciler) noteAttempt(sc *slotScope) {
	if l, ok := r.lostHere(sc); ok {
		l.uncertain = true
		r.lost.Store(client.ObjectKeyFromObject(sc.rs), l)
	}
}

// attemptedHere: a recreation of this object's slot on its target, on the
// target's timeline, may have made the slot there.
func (r *Reconciler) attemptedHere(sc *slotScope) bool {
	l, ok := r.lostHere(sc)
	return ok && l.uncertain
}

// settleAttempt records how a recreation's CREATE ended when it failed:
// an error the server sent, or one from before the statement left, made
// nothing; a connection lost after it went out may have made the slot.
func (r *Reconciler) settleAttempt(key client.ObjectKey, e *postgres.Error) {
	if e != nil && e.Transient && e.SQLState == "" && !postgres.NeverSent(e) {
		return
	}
	if v, ok := r.lost.Load(key); ok {
		l := v.(lostSlot)
		l.uncertain = false
		r.lost.CompareAndSwap(key, v, l)
	}
}

// dropLoss forgets the object's loss, in memory and in the status the
// reconcile writes next: the loss is told, or the object gave up its claim.
func (r *Reconciler) dropLoss(rs *api.ReplicationSlot) {
	r.lost.Delete(client.ObjectKeyFromObject(rs))
	rs.Status.Loss = nil
}
