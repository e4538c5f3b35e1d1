package slot

import (
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// A slot that another namespace's object holds can go missing: a failover
// that kept no copy of it, a drop by hand. Its holder recreates it. An
// object of another namespace that declares the same name, and was held
// off until then, must not race the holder to that creation: whichever
// creates the slot owns it, the other then finds it present and takes it
// for its own, and deleting either would drop the slot the other's
// consumer reads. So the held-off object gives the holder a grace period
// first. The grace is bounded: the holder was matched by what its own
// namespace's endpoint reports, and a lying endpoint must never keep a slot
// that is not there from being created.

// holderGrace is how long an object held off by another namespace's holder
// leaves a missing slot to that holder before creating it itself: several
// polls and a recreation's retries.
const holderGrace = 30 * time.Second

// missingSpan is when an object held off by another namespace's holder
// first and last found the slot missing, in one unbroken stretch.
type missingSpan struct{ first, last time.Time }

// holderWait updates the span with a new finding at now, and says how much
// of the grace is left. A finding more than twice the grace after the last
// one starts a new stretch: the slot was back in between, and a later loss
// gets its holder a grace of its own.
func holderWait(prev missingSpan, now time.Time, grace time.Duration) (missingSpan, time.Duration) {
	if prev.first.IsZero() || now.Sub(prev.last) > 2*grace || now.Before(prev.first) {
		prev.first = now
	}
	prev.last = now
	return prev, max(0, grace-now.Sub(prev.first))
}

// yieldToHolder holds back the creation of a slot that another
// namespace's object holds, for the rest of the grace; nil lets it go on.
func (r *Reconciler) yieldToHolder(sc *slotScope) *status.Outcome {
	key := client.ObjectKeyFromObject(sc.rs)
	if sc.heldElsewhere == "" || holderLeaving(sc.holder) {
		r.heldMissing.Delete(key)
		return nil
	}
	prev, _ := r.heldMissing.Load(key)
	span, _ := prev.(missingSpan)
	span, wait := holderWait(span, time.Now(), holderGrace)
	r.heldMissing.Store(key, span)
	if wait == 0 {
		return nil
	}
	o := status.Stall(api.ReasonConflict, fmt.Sprintf(
		"%s; the slot is missing on %s: that object is given %s to create it before this one does",
		sc.heldElsewhere, sc.target.Addr(), holderGrace))
	o.RetryAfter = wait
	return o
}

// holderLeaving: the holder is being deleted, so it will not create the
// slot again if it goes missing.
func holderLeaving(h *api.ReplicationSlot) bool {
	return h != nil && !h.DeletionTimestamp.IsZero()
}

// createdElsewhere: the holder owns the slot and created it; a failover's
// recreation record never claims that slot.
func createdElsewhere(h *api.ReplicationSlot) bool {
	return h != nil && !holderLeaving(h) && h.Status.Owned && h.Status.Origin == api.OriginCreated
}
