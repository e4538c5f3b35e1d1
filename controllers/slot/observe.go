package slot

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Requeue intervals by phase. Stalled objects are also woken by watches and
// the monitor; the slow requeue catches fixes nobody announces (a plugin
// installed on the server, say).
var requeueAfter = map[status.Phase]time.Duration{
	status.Available:   figureRefresh,
	status.Progressing: 2 * time.Second,
	status.Retrying:    10 * time.Second,
	status.Stalled:     time.Minute,
}

// retryAfter is when an outcome is looked at again: its own interval, or
// its phase's.
func retryAfter(o *status.Outcome) time.Duration {
	if o.RetryAfter > 0 {
		return o.RetryAfter
	}
	return requeueAfter[o.Phase]
}

// observeRow copies the slot's observed row into status.
func observeRow(rs *api.ReplicationSlot, target *observation.Member, row *postgres.Slot) {
	s := &rs.Status
	s.Host, s.Active, s.ActivePID = target.Addr(), ptr.To(row.Active), row.ActivePID
	s.ObservedTimeline = target.Identity.Timeline
	s.Location = locationOf(rs)
	s.Consumer = nil
	if c := row.Consumer; c != nil {
		s.Consumer = &api.Consumer{PID: c.PID, ApplicationName: c.ApplicationName, ClientAddr: c.ClientAddr,
			State: c.State, BackendStart: timePtr(c.BackendStart)}
	}
	s.RestartLSN, s.ConfirmedFlushLSN = lsnString(row.RestartLSN), lsnString(row.ConfirmedFlushLSN)
	// The reason as the metric has it: 15 and 16 do not name it.
	s.WALStatus, s.SafeWALSizeBytes, s.InvalidationReason = row.WALStatus, row.SafeWALSize, observation.InvalidationOf(row)
	s.InactiveSince = timePtr(row.InactiveSince)
	s.RetainedWALBytes, s.RetainedWAL = nil, ""
	if row.RetainedBytes != nil {
		b := *row.RetainedBytes
		s.RetainedWALBytes, s.RetainedWAL = &b, status.FormatBytes(b)
	}
}

func lsnString(l *postgres.LSN) string {
	if l == nil {
		return ""
	}
	return l.String()
}

func timePtr(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}

// availableOutcome is the Ready=True outcome, with who consumes the slot
// and a warning when that consumer looks stale.
func availableOutcome(sc *slotScope) status.Outcome {
	row := sc.row
	o := status.Outcome{Phase: status.Available, Reason: api.ReasonAvailable, Message: "slot exists"}
	if row != nil && row.Active {
		if who, stale := holder(sc, row); stale {
			o.Message = "active, " + who
			return o
		}
	}
	switch {
	case row == nil:
	case row.Active && row.Consumer != nil && row.Consumer.ApplicationName != "":
		o.Message = fmt.Sprintf("active: %s (pid %d)", row.Consumer.ApplicationName, row.ActivePID)
	case row.Active:
		o.Message = fmt.Sprintf("active (pid %d)", row.ActivePID)
	default:
		o.Message = "inactive: no consumer connected"
	}
	o.Message += haNoteOf(sc) + sc.leftNote
	return o
}

// patchSlotStatus writes status when it changed meaningfully. Figures that
// move with every transaction (LSNs, byte counts) alone are written at most
// every figureRefresh, so an idle fleet of slots costs the API server
// nothing and a busy one a bounded rate.
func (r *Reconciler) patchSlotStatus(ctx context.Context, before, rs *api.ReplicationSlot, o status.Outcome) (ctrl.Result, error) {
	res := ctrl.Result{RequeueAfter: retryAfter(&o)}
	if equality.Semantic.DeepEqual(before.Status, rs.Status) {
		return res, nil
	}
	last := before.Status.LastObservedAt
	if last != nil && sameButFigures(before.Status, rs.Status) {
		if !figuresMoved(before.Status, rs.Status) {
			return res, nil // the status still tells the truth closely enough
		}
		if wait := figureRefresh - time.Since(last.Time); wait > 0 {
			return ctrl.Result{RequeueAfter: min(wait, res.RequeueAfter)}, nil
		}
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	rs.Status.LastObservedAt = &now
	if err := r.Status().Patch(ctx, rs, client.MergeFrom(before)); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.written.Remember(client.ObjectKeyFromObject(rs), rs.ResourceVersion, *rs.Status.DeepCopy())
	return res, nil
}

// figuresMoved reports whether the figures moved meaningfully: a consumer
// confirmed something, or a byte count crossed a step
// (observation.FigureStep: 1 MiB below 16 MiB, 16 MiB above).
// WAL written by checkpoints on an idle server grows an idle slot's
// retention by a few bytes at a time and must not rewrite its status.
func figuresMoved(a, b api.ReplicationSlotStatus) bool {
	q := observation.FigureStep
	if a.RestartLSN != b.RestartLSN || a.ConfirmedFlushLSN != b.ConfirmedFlushLSN ||
		q(a.RetainedWALBytes) != q(b.RetainedWALBytes) || q(a.SafeWALSizeBytes) != q(b.SafeWALSizeBytes) {
		return true
	}
	for i := range a.Standbys {
		if i >= len(b.Standbys) || q(a.Standbys[i].LagBytes) != q(b.Standbys[i].LagBytes) {
			return true
		}
	}
	return len(a.Standbys) != len(b.Standbys)
}

// sameButFigures compares two statuses ignoring the fast-moving figures.
func sameButFigures(a, b api.ReplicationSlotStatus) bool {
	strip := func(s api.ReplicationSlotStatus) api.ReplicationSlotStatus {
		s.RestartLSN, s.ConfirmedFlushLSN, s.RetainedWALBytes, s.RetainedWAL = "", "", nil, ""
		s.SafeWALSizeBytes, s.LastObservedAt = nil, nil
		s.Standbys = withoutLag(s.Standbys)
		s.Conditions = stripMessages(s.Conditions, api.ConditionWALRetentionHealthy, status.RetentionStableText)
		return s
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

func withoutLag(in []api.StandbySlot) []api.StandbySlot {
	out := make([]api.StandbySlot, len(in))
	copy(out, in)
	for i := range out {
		out[i].LagBytes = nil
	}
	return out
}

// stripMessages reduces the message of one condition type, whose text
// carries a figure, to its part without figures (keep).
func stripMessages(conds []metav1.Condition, t string, keep func(string) string) []metav1.Condition {
	out := make([]metav1.Condition, len(conds))
	copy(out, conds)
	for i := range out {
		if out[i].Type == t {
			out[i].Message = keep(out[i].Message)
		}
	}
	return out
}
