package slot

// A failover's recreations run ahead of the status writes. Each slot's
// reconcile would otherwise create its slot and then wait for its status
// patch, so with many slots the last consumer waits for kube-apiserver to
// take every other slot's write first. The first reconcile that finds its
// slot lost in a failover records, in one write to the PostgresServer, the
// slots it is about to recreate on the promoted member, and starts their
// creations at once; each object's reconcile then records its own as a
// finished creation. The record is what keeps every data gap when the
// operator stops between a creation and its object's status write.

import (
	"context"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// aheadKey names one promotion: a member of a server on a timeline.
type aheadKey struct {
	server   types.NamespacedName
	member   string
	timeline int64
}

// recreateAhead runs the promotion's bulk recreation once (a reconcile that
// arrives meanwhile waits for it) and returns the object's creation, if the
// bulk recreation began one.
func (r *Reconciler) recreateAhead(ctx context.Context, sc *slotScope) (creator.State, bool) {
	t := sc.target
	if t == nil || t.Identity == nil || !t.IsPrimary() {
		return creator.State{}, false
	}
	k := aheadKey{server: sc.serverKey, member: t.Addr(), timeline: t.Identity.Timeline}
	once, _ := r.ahead.LoadOrStore(k, &sync.Once{})
	once.(*sync.Once).Do(func() { r.runAhead(ctx, sc) })
	st, ok := r.Creator.State(client.ObjectKeyFromObject(sc.rs))
	if !ok || !st.Ahead {
		return creator.State{}, false
	}
	return st, true
}

// runAhead picks the server's slots lost in this promotion, records them
// and begins their creations. Any failure leaves the slots to their own
// reconciles, as before the bulk recreation existed.
func (r *Reconciler) runAhead(ctx context.Context, trigger *slotScope) {
	objs, err := index.SlotsOfServer(ctx, r.Client, trigger.serverKey.Namespace, trigger.serverKey.Name)
	if err != nil {
		return
	}
	var picked []*slotScope
	for i := range objs {
		if s := r.aheadCandidate(ctx, &objs[i], trigger); s != nil {
			picked = append(picked, s)
		}
	}
	if len(picked) == 0 {
		return
	}
	if err := r.recordRecreation(ctx, trigger, picked); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "recording a failover's recreations; each slot is recreated by its own reconcile")
		return
	}
	for _, s := range picked {
		r.beginAhead(s)
	}
}

// aheadCandidate returns the object's scope when its slot is one this
// promotion lost and the object would recreate it: it owns a slot it made,
// has seen it, and every phase before ensureSlot lets it go on.
func (r *Reconciler) aheadCandidate(ctx context.Context, obj *api.ReplicationSlot, trigger *slotScope) *slotScope {
	rs := obj.DeepCopy()
	key := client.ObjectKeyFromObject(rs)
	if st, ok := r.written.Newer(key, rs.ResourceVersion); ok {
		rs.Status = *st.DeepCopy()
	}
	if !rs.DeletionTimestamp.IsZero() || !rs.Status.Owned || rs.Status.Origin != api.OriginCreated || !seenBefore(rs) {
		return nil
	}
	if _, busy := r.Creator.State(key); busy {
		return nil
	}
	s := r.newScope(rs)
	for _, phase := range []func(context.Context, *slotScope) (*status.Outcome, error){
		checkSpec, r.resolveServer, r.checkConflict, r.resolveTarget,
	} {
		if o, err := phase(ctx, s); err != nil || o != nil {
			return nil
		}
	}
	if !lostInPromotion(s, trigger) || !ignoreEntryKept(s) {
		return nil
	}
	return s
}

// lostInPromotion: the object's target is the trigger's promoted member,
// whose slot list lacks the slot, and the slot was last seen elsewhere or
// on an earlier timeline.
func lostInPromotion(s, trigger *slotScope) bool {
	t, tt := s.target, trigger.target
	if t == nil || t.Identity == nil || t.Slots == nil || t.Endpoint != tt.Endpoint ||
		t.Identity.Timeline != tt.Identity.Timeline || !t.IsPrimary() {
		return false
	}
	if _, present := t.Slots[s.name]; present {
		return false
	}
	return missingReason(s) == api.ReasonFailover
}

// ignoreEntryKept: where slotkeeper keeps Patroni's ignore_slots, the
// entry is recorded already; otherwise its own reconcile adds it first.
func ignoreEntryKept(s *slotScope) bool {
	p := s.ps.Spec.Patroni
	return p == nil || p.IgnoreSlotsMode() != api.IgnoreSlotsManage || s.rs.Status.IgnoreSlotsEntry != ""
}

// recordRecreation writes the PostgresServer's recreation record naming
// the picked slots, keeping names already recorded for the same promotion
// (an operator that stopped part way through).
func (r *Reconciler) recordRecreation(ctx context.Context, trigger *slotScope, picked []*slotScope) error {
	t := trigger.target
	ps := trigger.ps.DeepCopy()
	base := ps.DeepCopy()
	var names []string
	if rec := ps.Status.Recreation; rec != nil && rec.Member == t.Addr() && rec.Timeline == t.Identity.Timeline {
		names = append(names, rec.Slots...)
	}
	for _, s := range picked {
		names = append(names, s.name)
	}
	slices.Sort(names)
	ps.Status.Recreation = &api.SlotRecreation{Member: t.Addr(), Timeline: t.Identity.Timeline,
		Slots: slices.Compact(names), At: metav1.NewTime(time.Now().Truncate(time.Second))}
	return r.Status().Patch(ctx, ps, client.MergeFrom(base))
}

// beginAhead starts one picked slot's creation, with the loss its own
// reconcile would have recorded.
func (r *Reconciler) beginAhead(s *slotScope) {
	l := r.lossOf(s, api.ReasonFailover, nil)
	var req creator.Request
	var ok bool
	if s.rs.Spec.Type == api.SlotLogical {
		req, ok = r.logicalRequest(s, l)
	} else {
		req, ok = r.physicalRequest(s, l)
	}
	if ok {
		req.Ahead = true
		r.Creator.Begin(req)
	}
}

// physicalRequest describes the physical slot's creation on the target.
func (r *Reconciler) physicalRequest(s *slotScope, l loss) (creator.Request, bool) {
	key := client.ObjectKeyFromObject(s.rs)
	conn, ok := r.Conns.ConnConfig(s.serverKey, s.target.Endpoint, "")
	if !ok {
		return creator.Request{}, false
	}
	id := s.target.Identity
	return creator.Request{
		Server: s.serverKey, Slot: key, UID: s.rs.UID, Conn: conn, VersionNum: id.VersionNum,
		Options: postgres.LogicalSlotOptions{Name: s.name}, Physical: true, ReserveWAL: reservesWAL(s.rs),
		Wake: func() { r.Monitor.Wake(key) }, Recreate: l.reason, From: l.from, FromTimeline: l.timeline,
		Circumstances: circumstances(id),
	}, true
}

// aheadWait bounds how long a reconcile waits for its server's bulk
// recreation before it writes anything: about what a thousand creations
// take when nothing else competes for the CPUs.
const aheadWait = 2 * time.Second

// followAhead records the object's bulk creation once the whole bulk has
// ended (or aheadWait passed). Writing statuses while the creations run
// would give each consumer its slot later, and a "creating" status
// written meanwhile would be one more write per slot.
func (r *Reconciler) followAhead(ctx context.Context, sc *slotScope, st creator.State) (*status.Outcome, error) {
	key := client.ObjectKeyFromObject(sc.rs)
	r.Creator.AwaitAhead(key, aheadWait)
	if now, ok := r.Creator.State(key); ok {
		st = now
	}
	if st.Done && st.Err == nil && st.Row == nil {
		st.Row = polledSince(r.Monitor.Snapshot(sc.serverKey), sc, st.FinishedAt)
	}
	return r.followCreation(ctx, sc, st)
}

// polledSince is the slot's row on the target in a snapshot whose poll
// began after `after`, or nil (and the reconcile reads the slot itself).
func polledSince(snap *observation.Snapshot, sc *slotScope, after time.Time) *postgres.Slot {
	if snap == nil || !snap.At.After(after) {
		return nil
	}
	m := snap.Member(sc.target.Host, sc.target.Port)
	if m == nil || m.Slots == nil {
		return nil
	}
	if row, ok := m.Slots[sc.name]; ok {
		return &row
	}
	return nil
}
