package slot

import (
	"context"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// snapshotForSync writes a running-xacts record on the primary while
// standby m holds a temporary synchronized copy (17+) of a slot in use
// (observation.SyncAwaitsPrimary). The bgwriter writes such a record every
// 15 s at most, so without one FailoverReady waited up to that long under a
// busy consumer. The record is what self-heal writes for creations on
// standbys, under the same switch and rights (standbySnapshot), and at most
// once per standbySnapshot.interval per server; a failure leaves the wait
// to the bgwriter. It needs a reconcile to run, and reconciles follow the
// consumer's moves: a consumer that stands still gets no records.
func (r *Reconciler) snapshotForSync(ctx context.Context, sc *slotScope, m *observation.Member) {
	if !observation.SyncAwaitsPrimary(sc.row, m, r.consumerMoving(sc)) {
		return
	}
	primary := sc.snap.PrimaryMember()
	if primary == nil {
		return
	}
	if heal, _ := status.SelfHeal(snapshotMode(sc.ps), primary.Identity); !heal || !r.syncSnapshotDue(sc) {
		return
	}
	pool, err := r.Conns.Pool(ctx, sc.serverKey, primary.Endpoint, "")
	if err != nil || postgres.LogStandbySnapshot(ctx, pool) != nil {
		return
	}
	// The consumer confirms past the record and the sync worker persists
	// the copy within moments; a poll an interval later shows it, instead
	// of the next regular one.
	key := sc.serverKey
	time.AfterFunc(snapshotInterval(sc.ps), func() { r.Monitor.Refresh(key) })
}

// syncSnapshotDue claims the server's next sync snapshot when the last one
// is at least an interval old; every slot of the server shares the claim.
func (r *Reconciler) syncSnapshotDue(sc *slotScope) bool {
	return claimDue(&r.syncSnapshots, sc.serverKey, snapshotInterval(sc.ps), time.Now())
}

// consumerMoving: the monitor saw the slot's confirmed position move within
// the last two polls.
func (r *Reconciler) consumerMoving(sc *slotScope) bool {
	since, ok := r.Monitor.LastProgress(sc.serverKey, sc.name)
	return ok && sc.ps != nil && time.Since(since) <= 2*sc.ps.Spec.PollEvery()
}
