package slot

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// quickCreation is how long the reconcile that begins a logical creation
// waits for it: an unblocked creation takes milliseconds, and recording it
// at once saves a status write ("creating") and a second reconcile per
// slot. A blocked creation goes on in the background after it.
const quickCreation = 300 * time.Millisecond

// beginLogical hands a logical slot creation to the background creator,
// waits briefly for it, and reports it as done or under way.
func (r *Reconciler) beginLogical(ctx context.Context, sc *slotScope, l loss) (*status.Outcome, error) {
	req, ok := r.logicalRequest(sc, l)
	if !ok {
		return r.notSent(ctx, sc, status.Retry(api.ReasonServerUnavailable, "the server is not monitored yet"))
	}
	if !r.Creator.Begin(req) {
		return r.notSent(ctx, sc, status.Retry(api.ReasonCreating, "the operator is not leading, is stopping, or the object is being deleted"))
	}
	if st, ok := r.Creator.Await(req.Slot, quickCreation); ok {
		return r.followCreation(ctx, sc, st)
	}
	return status.Progress(api.ReasonCreating, "creating the slot on "+sc.target.Addr()), nil
}

// notSent stops at o after a creation that was never handed over: its
// intent goes, so that a slot someone else makes meanwhile is judged by
// the adoption rules and not taken for this object's own.
func (r *Reconciler) notSent(ctx context.Context, sc *slotScope, o *status.Outcome) (*status.Outcome, error) {
	if err := r.dropIntent(ctx, sc); err != nil {
		return nil, err
	}
	return o, nil
}

// logicalRequest describes the logical slot's creation on the target; ok
// is false while the server's connections are not known yet.
func (r *Reconciler) logicalRequest(sc *slotScope, l loss) (creator.Request, bool) {
	key := client.ObjectKeyFromObject(sc.rs)
	conn, ok := r.Conns.ConnConfig(sc.serverKey, sc.target.Endpoint, sc.rs.Spec.Database)
	if !ok {
		return creator.Request{}, false
	}
	primary := sc.snap.PrimaryMember()
	heal, _ := status.SelfHeal(snapshotMode(sc.ps), primary.Identity)
	id := sc.target.Identity
	return creator.Request{
		Server: sc.serverKey, Slot: key, UID: sc.rs.UID, Conn: conn, VersionNum: id.VersionNum,
		Options: postgres.LogicalSlotOptions{Name: sc.name, Plugin: sc.rs.PluginName(), TwoPhase: sc.rs.Spec.TwoPhase,
			Failover: sc.strategy == copies.Native && !id.InRecovery},
		Target: r.poolGetter(sc, sc.target.Endpoint), Primary: r.poolGetter(sc, primary.Endpoint), OnStandby: id.InRecovery,
		Snapshot: heal, Interval: snapshotInterval(sc.ps), TerminateAfter: effectiveTerminateAfter(sc.rs, sc.ps),
		Wake: func() { r.Monitor.Wake(key) }, Recreate: l.reason, From: l.from, FromTimeline: l.timeline, Circumstances: circumstances(id),
	}, true
}

// poolGetter returns the server's current pool to a member's maintenance
// database, for the creation's watcher.
func (r *Reconciler) poolGetter(sc *slotScope, ep observation.Endpoint) func(context.Context) (postgres.Querier, error) {
	key := sc.serverKey
	return func(ctx context.Context) (postgres.Querier, error) {
		return r.Conns.Pool(ctx, key, ep, "")
	}
}

// followCreation reports a creation under way, and records a finished one.
func (r *Reconciler) followCreation(ctx context.Context, sc *slotScope, st creator.State) (*status.Outcome, error) {
	key := client.ObjectKeyFromObject(sc.rs)
	r.eventTerminations(sc, key)
	if !st.Done {
		return r.creationOutcome(sc, st), nil
	}
	if st.Err != nil {
		e := postgres.Classify(st.Err)
		if err := r.forgetIntent(ctx, sc, e); err != nil {
			return nil, err
		}
		if e.Reason == postgres.ReasonSlotExists {
			// The name is taken: the slot is read and judged next
			// (errorOutcome asks for it), not created again after a hold.
			// Somebody else made it after this object's slot was lost.
			r.Creator.Forget(key)
			r.noteLostTo(sc, loss{reason: st.Recreate, from: st.From, timeline: st.FromTimeline})
		}
		return errorOutcome(e, sc), nil
	}
	r.Creator.Forget(key)
	r.saw(sc, st.FinishedAt, st.Row)
	return r.created(ctx, sc, loss{reason: st.Recreate, from: st.From, timeline: st.FromTimeline}, st.LSN, st.Row)
}

// retryCreation forgets a failed creation when it is time for another
// attempt, so the caller goes on to a fresh one in the same reconcile. A
// failure is kept (and reported) for its phase's requeue interval, so a
// missing plugin or right does not become a loop of creations; but when the
// member changed since the attempt began (REPLICATION granted, a setting
// changed, PostgreSQL restarted after a crash) the next attempt is not made
// to wait for it.
func (r *Reconciler) retryCreation(sc *slotScope, st creator.State) bool {
	if !st.Done || st.Err == nil {
		return false
	}
	o := errorOutcome(postgres.Classify(st.Err), sc)
	if time.Since(st.FinishedAt) < retryAfter(o) && st.Circumstances == circumstances(sc.target.Identity) {
		return false
	}
	key := client.ObjectKeyFromObject(sc.rs)
	r.settleAttempt(key, postgres.Classify(st.Err))
	r.Creator.Forget(key)
	return true
}

// circumstances summarises what of a member can decide a creation's fate
// and change without slotkeeper: the role's rights, the settings, a restart,
// promotion.
func circumstances(id *postgres.Identity) string {
	if id == nil {
		return ""
	}
	return fmt.Sprint(id.Rights, id.Settings, id.PostmasterStart.UnixNano(), id.InRecovery, id.Timeline)
}

// creationOutcome describes a waiting creation: Reconciling, and
// CreationBlocked with the blockers when it waits for something.
func (r *Reconciler) creationOutcome(sc *slotScope, st creator.State) *status.Outcome {
	if st.Queued {
		return status.Progress(api.ReasonCreating, "waiting for other creations on this server to finish")
	}
	heal, note := status.SelfHeal(snapshotMode(sc.ps), primaryIdentity(sc))
	now := time.Now()
	own, others := blockerView(st.Blockers, sc.rs.Spec.Database, queryTextShown(sc.ps))
	var b status.Blocked
	b.Reason, b.Message = creationBlocked(status.Creation{
		OnStandby: st.OnStandby, Blockers: own, Waited: now.Sub(st.Started),
		SelfHeal: heal, Note: note, Interval: snapshotInterval(sc.ps),
	}, others, terminationNote(sc.rs, sc.ps, st.TerminateNote), now)
	sc.rs.Status.Blockers, sc.rs.Status.OtherBlockers = apiBlockers(own), int32(others)
	msg := "creating the slot on " + sc.target.Addr()
	if b.Message != "" {
		msg += ": " + b.Message
	}
	o := status.Progress(api.ReasonCreating, msg)
	if b.Reason != "" {
		o.Blocked = &b
	}
	return o
}

// eventTerminations records one Event per blocker terminated (or that could
// not be) because of terminateBlockersAfter. Events are as readable as the
// slot: a session of another database is named by its pid alone.
func (r *Reconciler) eventTerminations(sc *slotScope, key client.ObjectKey) {
	ended, refused := r.Creator.TakeTerminations(key)
	for _, b := range ended {
		sc.event("Warning", "BlockerTerminated", "Terminate",
			"terminated pid %d (%s, transaction started %s) after it blocked creation for %s",
			b.PID, blockerWho(sc, b), fmtTime(b.XactStart), terminateAfter(sc.rs))
	}
	for _, b := range refused {
		sc.event("Warning", "BlockerNotTerminated", "Terminate",
			"could not terminate pid %d (%s): it belongs to a superuser or the role lacks pg_signal_backend", b.PID, blockerWho(sc, b))
	}
}

func blockerWho(sc *slotScope, b postgres.Blocker) string {
	if b.Database != sc.rs.Spec.Database {
		return "a session in another database"
	}
	return fmt.Sprintf("application %q, client %s", b.ApplicationName, b.ClientAddr)
}

func primaryIdentity(sc *slotScope) *postgres.Identity {
	if p := sc.snap.PrimaryMember(); p != nil {
		return p.Identity
	}
	return nil
}

func snapshotMode(ps *api.PostgresServer) api.StandbySnapshotMode {
	if ps == nil || ps.Spec.StandbySnapshot == nil || ps.Spec.StandbySnapshot.Mode == "" {
		return api.StandbySnapshotAuto
	}
	return ps.Spec.StandbySnapshot.Mode
}

func snapshotInterval(ps *api.PostgresServer) time.Duration {
	if ps == nil || ps.Spec.StandbySnapshot == nil || ps.Spec.StandbySnapshot.Interval == nil ||
		ps.Spec.StandbySnapshot.Interval.Duration <= 0 {
		return time.Second
	}
	return ps.Spec.StandbySnapshot.Interval.Duration
}

func terminateAfter(rs *api.ReplicationSlot) time.Duration {
	if rs.Spec.TerminateBlockersAfter == nil {
		return 0
	}
	return rs.Spec.TerminateBlockersAfter.Duration
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// inProgressElsewhere reports a creation of this slot that this process
// did not start (an earlier operator process, say): its row has no
// confirmed position yet and its creator still holds it.
func inProgressElsewhere(rs *api.ReplicationSlot, row *postgres.Slot) *status.Outcome {
	if rs.Spec.Type != api.SlotLogical || row.ConfirmedFlushLSN != nil || !row.Active {
		return nil
	}
	return status.Progress(api.ReasonCreating, fmt.Sprintf(
		"a creation of this slot started earlier is still running (pid %d); waiting for it", row.ActivePID))
}
