package controllers

import (
	"context"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// syncPhysicalCopies keeps, for a physical slot with failover: true, a copy
// on every reachable standby, advanced to the primary's restart_lsn (never
// past the standby's replay position). A standby that replicated through the
// slot can then go on from a promoted standby without a WAL gap. Failures
// are left to FailoverReady to report; they never fail the reconcile.
func (r *ReplicationSlotReconciler) syncPhysicalCopies(ctx context.Context, sc *slotScope) {
	rs := sc.rs
	if !rs.Spec.Failover || rs.Spec.Type != api.SlotPhysical || sc.row == nil || !sc.target.IsPrimary() {
		return
	}
	for i := range sc.snap.Members {
		m := &sc.snap.Members[i]
		if m.Identity == nil || !m.Identity.InRecovery || m.Slots == nil {
			continue
		}
		r.syncCopy(ctx, sc, m)
	}
}

func (r *ReplicationSlotReconciler) syncCopy(ctx context.Context, sc *slotScope, m *monitor.Member) {
	ctx, cancel := context.WithTimeout(ctx, r.actionTimeout())
	defer cancel()
	pool, err := r.Monitor.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err != nil {
		return
	}
	copyRow, ok := m.Slots[sc.name]
	if !ok {
		if _, err := postgres.CreatePhysicalSlot(ctx, pool, sc.name, true); err == nil {
			r.Recorder.Eventf(sc.rs, nil, "Normal", "CopyCreated", actionCreate,
				"created a copy of slot %q on standby %s", sc.name, m.Addr())
			r.Monitor.Refresh(sc.serverKey)
		}
		return
	}
	if copyRow.Type != "physical" || sc.row.RestartLSN == nil {
		return
	}
	target := min(*sc.row.RestartLSN, m.Identity.WALPosition)
	if copyRow.RestartLSN == nil || *copyRow.RestartLSN < target {
		_, _ = postgres.AdvanceSlot(ctx, pool, sc.name, target)
	}
}

// dropCopies drops the copies of a physical failover slot on the standbys,
// when the slot itself is dropped.
func (r *ReplicationSlotReconciler) dropCopies(ctx context.Context, sc *slotScope) {
	rs := sc.rs
	if !rs.Spec.Failover || rs.Spec.Type != api.SlotPhysical || sc.snap == nil {
		return
	}
	for i := range sc.snap.Members {
		m := &sc.snap.Members[i]
		if m.Identity == nil || !m.Identity.InRecovery {
			continue
		}
		if pool, err := r.Monitor.Pool(ctx, sc.serverKey, m.Endpoint, ""); err == nil {
			_ = postgres.DropSlot(ctx, pool, sc.name)
		}
	}
}
