package slot

import (
	"context"
	"strconv"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// copyRetry is how long a failed copy creation is reported before the next
// attempt.
const copyRetry = 10 * time.Second

// keepLogicalCopy keeps an operator-made logical copy on a PostgreSQL 16
// standby: created there in the background (a creation on a standby waits
// for a running-xacts record from the primary, which the self-heal
// provides), then advanced to the primary's confirmed_flush_lsn, never past
// what the standby has replayed.
func (r *Reconciler) keepLogicalCopy(ctx context.Context, sc *copyScope, m *observation.Member, rec *api.SlotCopy, row postgres.Slot, present bool) {
	key := copyKey(sc.rs, m.Endpoint)
	if st, ok := r.Creator.State(key); ok {
		r.followCopyCreation(sc, m, st)
		return
	}
	switch {
	case (rec == nil || rec.Pending) && !present && len(status.KeptCopyPrerequisites(m.Identity.Settings)) > 0:
		// A copy without them could be invalidated by the next vacuum:
		// none is made, and FailoverReady names what is missing.
	case rec != nil && rec.Pending && present:
		// Made just before the operator stopped: it starts where it is,
		// since only recorded copies are ever advanced.
		r.copyMade(sc.slotScope, m, api.SlotCopy{Host: m.Host, Port: m.Port, StartLSN: lsnString(row.ConfirmedFlushLSN)},
			"found the copy of slot %q on standby %s that slotkeeper made before it stopped")
	case rec == nil || rec.Pending:
		if rec == nil && !r.recordPending(ctx, sc, m) {
			return
		}
		r.beginCopy(sc, m)
	case !present:
		r.forgetIfGone(ctx, sc.slotScope, m)
	default:
		r.advanceLogicalCopy(ctx, sc, m, rec, row)
	}
}

func (r *Reconciler) copyCreating(sc *slotScope, m *observation.Member) bool {
	_, ok := r.Creator.State(copyKey(sc.rs, m.Endpoint))
	return ok
}

func (r *Reconciler) beginCopy(sc *copyScope, m *observation.Member) {
	conn, ok := r.Conns.ConnConfig(sc.serverKey, m.Endpoint, sc.rs.Spec.Database)
	if !ok {
		return
	}
	rsKey := client.ObjectKeyFromObject(sc.rs)
	heal, _ := status.SelfHeal(snapshotMode(sc.ps), sc.target.Identity)
	r.Creator.Begin(creator.Request{
		Server: sc.serverKey, Slot: copyKey(sc.rs, m.Endpoint), Conn: conn, VersionNum: m.Identity.VersionNum,
		Options: postgres.LogicalSlotOptions{Name: sc.name, Plugin: sc.rs.PluginName(), TwoPhase: sc.rs.Spec.TwoPhase},
		Target:  r.poolGetter(sc.slotScope, m.Endpoint), Primary: r.poolGetter(sc.slotScope, sc.target.Endpoint), OnStandby: true,
		Snapshot: heal, Interval: snapshotInterval(sc.ps),
		Wake: func() { r.Monitor.Wake(rsKey) },
	})
	sc.note(m, "creating a copy on this standby")
}

// followCopyCreation records a finished copy with where it starts, and
// reports one under way or failed.
func (r *Reconciler) followCopyCreation(sc *copyScope, m *observation.Member, st creator.State) {
	key := copyKey(sc.rs, m.Endpoint)
	switch {
	case !st.Done && len(st.Blockers) > 0:
		sc.note(m, "creating a copy on this standby: waiting for "+strconv.Itoa(len(st.Blockers))+" transaction(s) on the primary to end")
	case !st.Done:
		sc.note(m, "creating a copy on this standby")
	case st.Err != nil:
		// Nothing was made. The pending record goes, so that it cannot make
		// a slot somebody else creates there later look like slotkeeper's
		// (a name taken now is one already); the next attempt writes it
		// again.
		removeCopy(sc.slotScope, m.Endpoint)
		noteCopyFailure(sc, m, postgres.Classify(st.Err))
		if time.Since(st.FinishedAt) >= copyRetry {
			r.Creator.Forget(key)
		}
	default:
		r.Creator.Forget(key)
		r.copyMade(sc.slotScope, m, api.SlotCopy{Host: m.Host, Port: m.Port, StartLSN: st.LSN.String()},
			"created a copy of slot %q on standby %s, starting at %s", st.LSN)
	}
}

// advanceLogicalCopy moves the copy to the primary slot's confirmed
// position.
func (r *Reconciler) advanceLogicalCopy(ctx context.Context, sc *copyScope, m *observation.Member, rec *api.SlotCopy, row postgres.Slot) {
	target, behind := observation.CopyBehind(sc.row, &row, m)
	if !behind {
		return
	}
	pool, err := r.Conns.Pool(ctx, sc.serverKey, m.Endpoint, sc.rs.Spec.Database)
	if err == nil {
		_, err = postgres.AdvanceSlot(ctx, pool, sc.name, target)
	}
	if err != nil {
		sc.note(m, "cannot advance the copy: "+err.Error())
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
