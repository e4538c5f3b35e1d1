package status

import (
	"fmt"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Fork is where the new primary's timeline forked off the timeline a
// consumer confirmed its position on; Known is false when it could not be
// read (the gap is then told with what can be proved).
type Fork struct {
	Timeline int64
	At       postgres.LSN
	Known    bool
}

// FailoverGap corrects the gap of a logical slot recreated at start after
// a failover. With asynchronous replication the consumer can have
// confirmed changes past the fork, which the new primary never received:
// the consumer holds them (ConsumerAhead, from the fork to its position),
// and what it never decoded begins at the fork, not at its position. A
// fork that cannot be read is bounded by start: a consumer past start is
// certainly ahead, from an unknown point on.
func FailoverGap(g api.DataGap, f Fork, start postgres.LSN) api.DataGap {
	confirmed, err := postgres.ParseLSN(g.FromLSN)
	switch {
	case err != nil:
		return g
	case f.Known && confirmed > f.At:
		g.FromLSN = f.At.String()
		g.ConsumerAhead = &api.ConsumerAhead{Timeline: f.Timeline, FromLSN: f.At.String(), ToLSN: confirmed.String()}
	case !f.Known && confirmed > start:
		g.FromLSN = ""
		g.ConsumerAhead = &api.ConsumerAhead{Timeline: f.Timeline, ToLSN: confirmed.String()}
	default:
		return g
	}
	g.Bytes = spanBytes(g.FromLSN, start.String())
	g.ConsumerAhead.Bytes = spanBytes(g.ConsumerAhead.FromLSN, g.ConsumerAhead.ToLSN)
	return g
}

// mergeAhead widens one ahead window by another, as mergeGap does gaps.
func mergeAhead(w, g *api.ConsumerAhead) *api.ConsumerAhead {
	if w == nil || g == nil {
		if g != nil {
			return g
		}
		return w
	}
	out := *g
	out.FromLSN = earlierLSN(w.FromLSN, g.FromLSN)
	out.ToLSN = laterLSN(w.ToLSN, g.ToLSN)
	out.Bytes = spanBytes(out.FromLSN, out.ToLSN)
	return &out
}

// consumerAheadMessage tells the part of a window the consumer holds and
// the new primary does not, or "".
func consumerAheadMessage(a *api.ConsumerAhead) string {
	if a == nil {
		return ""
	}
	msg := fmt.Sprintf("; and the consumer had confirmed changes between %s and %s on timeline %d",
		OrUnknown(a.FromLSN), a.ToLSN, a.Timeline)
	if a.Bytes != nil {
		msg += fmt.Sprintf(" (%s of WAL)", FormatBytes(*a.Bytes))
	}
	return msg + " that the new primary never received: they exist only downstream of the consumer, so compare and reconcile them by hand"
}
