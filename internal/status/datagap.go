package status

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// MaxDataGapsListed caps status.dataGaps; status.lastDataGap keeps
// covering gaps that fell off the list.
const MaxDataGapsListed = 10

// GapRecord is a slot's data gap bookkeeping: the merged window of every
// unacknowledged recreation (status.lastDataGap) and the last of those
// recreations one by one (status.dataGaps), oldest first.
type GapRecord struct {
	Window *api.DataGap
	Gaps   []api.DataGap
}

// AckValue is the annotation value that acknowledges a gap recorded at t.
func AckValue(t metav1.Time) string { return t.UTC().Format(time.RFC3339) }

// Acknowledge applies the acknowledge annotation. A value equal to the
// window's at clears everything; equal to one listed gap's at, it clears
// that gap and every older one, and the window shrinks to the rest. Any
// other value clears nothing: a typo or a time in the future must never
// hide a gap. open says whether an unacknowledged window remains.
func Acknowledge(r GapRecord, ack string) (out GapRecord, open bool) {
	if r.Window == nil {
		return GapRecord{}, false
	}
	if ack != "" && ack == AckValue(r.Window.At) {
		return GapRecord{Window: r.Window}, false
	}
	last := -1
	for i := range r.Gaps {
		if ack != "" && AckValue(r.Gaps[i].At) == ack {
			last = i
		}
	}
	if last < 0 {
		return r, true
	}
	// A listed gap was cleared, so every gap that fell off the list was
	// older still: the rest of the list is the whole open window.
	rest := r.Gaps[last+1:]
	if len(rest) == 0 {
		return GapRecord{Window: r.Window}, false
	}
	return GapRecord{Window: foldGaps(rest), Gaps: append([]api.DataGap(nil), rest...)}, true
}

// RecordGap adds a new gap. While an earlier window is unacknowledged the
// new gap widens it, never replaces it: the consumer lost both.
func RecordGap(r GapRecord, ack string, g api.DataGap) GapRecord {
	g.Recreations, g.Since = 0, nil
	if r.Window != nil && !g.At.After(r.Window.At.Time) {
		// Times have whole seconds: a second gap within the same second as
		// the last would share its acknowledgement value, and be cleared
		// by an acknowledgement given for the first.
		g.At = metav1.NewTime(r.Window.At.Add(time.Second))
	}
	cur, open := Acknowledge(r, ack)
	if !open {
		return GapRecord{Window: foldGaps([]api.DataGap{g}), Gaps: []api.DataGap{g}}
	}
	gaps := append(append([]api.DataGap(nil), cur.Gaps...), g)
	if len(gaps) > MaxDataGapsListed {
		gaps = gaps[len(gaps)-MaxDataGapsListed:]
	}
	return GapRecord{Window: mergeGap(*cur.Window, g), Gaps: gaps}
}

// foldGaps merges gaps (oldest first, at least one) into one window.
func foldGaps(gaps []api.DataGap) *api.DataGap {
	w := gaps[0]
	since := w.At
	w.Since, w.Recreations = &since, 1
	w.Bytes = spanBytes(w.FromLSN, w.ToLSN)
	for _, g := range gaps[1:] {
		w = *mergeGap(w, g)
	}
	return &w
}

// mergeGap widens window w by gap g (recorded later): from the earlier
// start to the later end. An unknown start stays unknown, since the loss
// may begin anywhere before the known one.
func mergeGap(w api.DataGap, g api.DataGap) *api.DataGap {
	out := w
	out.Reason, out.At = g.Reason, g.At
	if out.Since == nil {
		since := w.At
		out.Since = &since
	}
	out.Recreations = max(w.Recreations, 1) + 1
	out.FromLSN = earlierLSN(w.FromLSN, g.FromLSN)
	out.ToLSN = laterLSN(w.ToLSN, g.ToLSN)
	out.Bytes = spanBytes(out.FromLSN, out.ToLSN)
	out.ConsumerAhead = mergeAhead(w.ConsumerAhead, g.ConsumerAhead)
	return &out
}

func earlierLSN(a, b string) string {
	x, errA := postgres.ParseLSN(a)
	y, errB := postgres.ParseLSN(b)
	switch {
	case errA != nil || errB != nil:
		return ""
	case y < x:
		return b
	}
	return a
}

func laterLSN(a, b string) string {
	x, errA := postgres.ParseLSN(a)
	y, errB := postgres.ParseLSN(b)
	switch {
	case errA != nil:
		return b
	case errB != nil:
		return a
	case y > x:
		return b
	}
	return a
}

func spanBytes(from, to string) *int64 {
	f, errF := postgres.ParseLSN(from)
	t, errT := postgres.ParseLSN(to)
	if errF != nil || errT != nil || t < f {
		return nil
	}
	b := int64(t - f)
	return &b
}
