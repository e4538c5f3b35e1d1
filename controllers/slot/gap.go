package slot

// Data gaps: the window of changes a recreated slot never decoded, and
// its acknowledgement.

import (
	"context"
	"fmt"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/record"
)

// lastConfirmed is the later of the position in status (written at most
// every 30 s) and the one the monitor saw last.
func lastConfirmed(inStatus string, seen *postgres.LSN) string {
	st, err := postgres.ParseLSN(inStatus)
	if seen != nil && (err != nil || *seen > st) {
		return seen.String()
	}
	return inStatus
}

// recordGap adds g to the slot's data gaps, widening a window not yet
// acknowledged, and adds its bytes to the total.
func recordGap(rs *api.ReplicationSlot, g *api.DataGap) {
	rec := status.RecordGap(gapRecord(rs), rs.Annotations[api.AnnotationAcknowledgeDataGap], *g)
	rs.Status.LastDataGap, rs.Status.DataGaps = rec.Window, rec.Gaps
	if g.Bytes != nil {
		rs.Status.DataGapBytesTotal += *g.Bytes
	}
}

func gapRecord(rs *api.ReplicationSlot) status.GapRecord {
	return status.GapRecord{Window: rs.Status.LastDataGap, Gaps: rs.Status.DataGaps}
}

// applyGapAck keeps status in line with the acknowledge annotation: the
// gaps it clears leave status.dataGaps and, when it clears only the older
// ones, status.lastDataGap shrinks to the rest. A fully acknowledged
// window stays in lastDataGap as the record of the last loss.
func applyGapAck(rs *api.ReplicationSlot) {
	rec, _ := status.Acknowledge(gapRecord(rs), rs.Annotations[api.AnnotationAcknowledgeDataGap])
	rs.Status.LastDataGap, rs.Status.DataGaps = rec.Window, rec.Gaps
}

func newGap(reason, from string, to postgres.LSN) *api.DataGap {
	g := &api.DataGap{Reason: reason, FromLSN: from, ToLSN: to.String(), At: metav1.NewTime(time.Now().Truncate(time.Second))}
	if f, err := postgres.ParseLSN(from); err == nil && to >= f {
		b := int64(to - f)
		g.Bytes = &b
	}
	return g
}

// loss is where a recreated slot's consumer stood before: why the slot
// is made again ("" for a first creation), the last position it confirmed
// and the timeline it confirmed it on.
type loss struct {
	reason, from string
	timeline     int64
}

// recordLogicalGap records the gap of a logical slot made again at start,
// and the Event that tells it, led by what happened to the slot. After a
// failover the gap begins where the new timeline forked, when the consumer
// had confirmed past it; what it confirmed past the fork is told as
// ConsumerAhead.
func (r *Reconciler) recordLogicalGap(ctx context.Context, sc *slotScope, l loss, start postgres.LSN, lead, why string) {
	g := *newGap(l.reason, l.from, start)
	if l.reason == api.ReasonFailover {
		g = status.FailoverGap(g, r.fork(ctx, sc, l.timeline), start)
	}
	recordGap(sc.rs, &g)
	sc.announce("Warning", api.ConditionDataGap, record.ActionRecreate,
		"%s: changes from %s to %s were never decoded%s%s", lead,
		status.OrUnknown(g.FromLSN), start, aheadNote(g.ConsumerAhead), why)
	if g.ConsumerAhead != nil {
		sc.event("Warning", api.ReasonConsumerAhead, record.ActionRecreate,
			"the consumer of slot %q had confirmed changes up to %s on timeline %d, past where %s's timeline forked (%s): "+
				"the new primary never received them", sc.name, g.ConsumerAhead.ToLSN, g.ConsumerAhead.Timeline,
			sc.target.Addr(), status.OrUnknown(g.ConsumerAhead.FromLSN))
	}
}

// fork reads where the target's timeline forked off timeline tl, once per
// server and timeline pair: the history of a timeline never changes.
func (r *Reconciler) fork(ctx context.Context, sc *slotScope, tl int64) status.Fork {
	id := sc.target.Identity
	f := status.Fork{Timeline: tl}
	key := forkKey{server: sc.serverKey, addr: sc.target.Addr(), current: id.Timeline, from: tl}
	if at, ok := r.forks.Load(key); ok {
		f.At, f.Known = at.(postgres.LSN), true
		return f
	}
	cfg, ok := r.Conns.ConnConfig(sc.serverKey, sc.target.Endpoint, sc.rs.Spec.Database)
	if !ok {
		return f
	}
	ctx, cancel := context.WithTimeout(ctx, r.readTimeout(sc))
	defer cancel()
	at, found, err := postgres.TimelineSwitch(ctx, cfg, id.Timeline, tl)
	if err != nil || !found {
		return f
	}
	r.forks.Store(key, at)
	f.At, f.Known = at, true
	return f
}

type forkKey struct {
	server        types.NamespacedName
	addr          string
	current, from int64
}

func aheadNote(a *api.ConsumerAhead) string {
	if a == nil {
		return ""
	}
	return fmt.Sprintf("; the consumer had confirmed up to %s on timeline %d, changes the new primary never received", a.ToLSN, a.Timeline)
}
