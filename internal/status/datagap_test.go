package status

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func gapAt(sec int, reason, from, to string) api.DataGap {
	return api.DataGap{Reason: reason, FromLSN: from, ToLSN: to,
		At: metav1.NewTime(time.Date(2026, 12, 3, 10, 0, sec, 0, time.UTC))}
}

func ackOf(g api.DataGap) string { return AckValue(g.At) }

// record applies gaps one by one with the given annotation in place.
func record(ack string, gaps ...api.DataGap) GapRecord {
	var r GapRecord
	for _, g := range gaps {
		r = RecordGap(r, ack, g)
	}
	return r
}

func TestRecordGapMerges(t *testing.T) {
	g1 := gapAt(1, api.ReasonFailover, "0/3040240", "0/304C650")
	g2 := gapAt(5, api.ReasonMissing, "0/304C650", "0/3061428")
	g3 := gapAt(9, api.ReasonMissing, "0/3000000", "0/3050000")
	unknown := gapAt(7, api.ReasonMissing, "", "0/3070000")
	cases := []struct {
		name                string
		rec                 GapRecord
		from, to, reason    string
		bytes               int64 // -1: unknown
		recreations, listed int
		since, at           api.DataGap
	}{
		{"one gap", record("", g1), "0/3040240", "0/304C650", api.ReasonFailover, 0xC410, 1, 1, g1, g1},
		// The case that was understated: the second recreation replaced the first.
		{"second widens the first", record("", g1, g2), "0/3040240", "0/3061428", api.ReasonMissing, 0x211E8, 2, 2, g1, g2},
		{"earlier start of a later gap widens backwards", record("", g1, g2, g3), "0/3000000", "0/3061428", api.ReasonMissing, 0x61428, 3, 3, g1, g3},
		{"an unknown start stays unknown", record("", g1, unknown), "", "0/3070000", api.ReasonMissing, -1, 2, 2, g1, unknown},
		{"acknowledged window starts afresh", RecordGap(record("", g1), ackOf(g1), g2), "0/304C650", "0/3061428", api.ReasonMissing, 0x14DD8, 1, 1, g2, g2},
		{"a wrong acknowledgement clears nothing", RecordGap(record("", g1), "2026-12-03T10:00:02Z", g2), "0/3040240", "0/3061428", api.ReasonMissing, 0x211E8, 2, 2, g1, g2},
		{"a future acknowledgement clears nothing", RecordGap(record("", g1), "2099-01-01T00:00:00Z", g2), "0/3040240", "0/3061428", api.ReasonMissing, 0x211E8, 2, 2, g1, g2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.rec.Window
			if w.FromLSN != c.from || w.ToLSN != c.to || w.Reason != c.reason {
				t.Fatalf("window %s..%s (%s), want %s..%s (%s)", w.FromLSN, w.ToLSN, w.Reason, c.from, c.to, c.reason)
			}
			if (c.bytes < 0) != (w.Bytes == nil) || (w.Bytes != nil && *w.Bytes != c.bytes) {
				t.Fatalf("bytes %v, want %d", w.Bytes, c.bytes)
			}
			if int(w.Recreations) != c.recreations || len(c.rec.Gaps) != c.listed {
				t.Fatalf("recreations %d listed %d, want %d and %d", w.Recreations, len(c.rec.Gaps), c.recreations, c.listed)
			}
			if !w.At.Equal(&c.at.At) || w.Since == nil || !w.Since.Equal(&c.since.At) {
				t.Fatalf("since %v at %v, want %v and %v", w.Since, w.At, c.since.At, c.at.At)
			}
		})
	}
}

func TestAcknowledge(t *testing.T) {
	g1 := gapAt(1, api.ReasonFailover, "0/1000", "0/2000")
	g2 := gapAt(5, api.ReasonMissing, "0/2000", "0/3000")
	g3 := gapAt(9, api.ReasonMissing, "0/3000", "0/5000")
	rec := record("", g1, g2, g3)
	cases := []struct {
		name     string
		ack      string
		open     bool
		from, to string
		listed   int
	}{
		{"none", "", true, "0/1000", "0/5000", 3},
		{"the window's at clears everything", AckValue(rec.Window.At), false, "0/1000", "0/5000", 0},
		{"an older gap's at clears it and the ones before", ackOf(g2), true, "0/3000", "0/5000", 1},
		{"the oldest gap's at", ackOf(g1), true, "0/2000", "0/5000", 2},
		{"anything else clears nothing", "2026-12-03T10:00:03Z", true, "0/1000", "0/5000", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, open := Acknowledge(rec, c.ack)
			if open != c.open || len(got.Gaps) != c.listed {
				t.Fatalf("open %v listed %d, want %v and %d", open, len(got.Gaps), c.open, c.listed)
			}
			if got.Window.FromLSN != c.from || got.Window.ToLSN != c.to {
				t.Fatalf("window %s..%s, want %s..%s", got.Window.FromLSN, got.Window.ToLSN, c.from, c.to)
			}
			// Applying it twice changes nothing more: the reconcile writes it back.
			again, open2 := Acknowledge(got, c.ack)
			if open2 != open || again.Window.FromLSN != got.Window.FromLSN || len(again.Gaps) != len(got.Gaps) {
				t.Fatalf("not idempotent: %+v then %+v", got, again)
			}
		})
	}
}

// A window of more gaps than the list holds still covers the oldest.
func TestRecordGapKeepsCoveringGapsOffTheList(t *testing.T) {
	var gaps []api.DataGap
	for i := 0; i < MaxDataGapsListed+5; i++ {
		from := 0x1000 * (i + 1)
		gaps = append(gaps, gapAt(i, api.ReasonMissing, postgres.LSN(from).String(), postgres.LSN(from+0x800).String()))
	}
	rec := record("", gaps...)
	if len(rec.Gaps) != MaxDataGapsListed || rec.Window.FromLSN != "0/1000" || int(rec.Window.Recreations) != len(gaps) {
		t.Fatalf("listed %d from %s recreations %d", len(rec.Gaps), rec.Window.FromLSN, rec.Window.Recreations)
	}
	// Acknowledging a gap still listed clears exactly up to it.
	got, open := Acknowledge(rec, ackOf(rec.Gaps[2]))
	if !open || len(got.Gaps) != MaxDataGapsListed-3 || got.Window.FromLSN != rec.Gaps[3].FromLSN {
		t.Fatalf("after ack: open %v listed %d from %s", open, len(got.Gaps), got.Window.FromLSN)
	}
}

func TestDataGapMessageTellsTheWholeWindow(t *testing.T) {
	rec := record("", gapAt(1, api.ReasonFailover, "0/3040240", "0/304C650"), gapAt(5, api.ReasonMissing, "0/304C650", "0/3061428"))
	msg := DataGapMessage(rec.Window)
	for _, want := range []string{"2 times", "latest: Missing", "0/3040240", "0/3061428", "132.5KiB", "2026-12-03T10:00:05Z"} {
		if !contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

// Two recreations within one second get distinct acknowledgement values,
// and acknowledging a window never clears a gap recorded after it.
func TestRecordGapDistinctTimes(t *testing.T) {
	g1 := gapAt(1, api.ReasonFailover, "0/1000", "0/2000")
	g2 := gapAt(1, api.ReasonMissing, "0/2000", "0/3000")
	rec := record("", g1, g2)
	if ackOf(rec.Gaps[0]) == ackOf(rec.Gaps[1]) {
		t.Fatalf("both gaps acknowledged by %s", ackOf(rec.Gaps[0]))
	}
	if got, open := Acknowledge(rec, ackOf(g1)); !open || got.Window.FromLSN != "0/2000" {
		t.Fatalf("acknowledging the first cleared the second: open %v, %+v", open, got.Window)
	}
	// The first window was acknowledged; a gap in that same second starts
	// a window the old acknowledgement does not clear.
	acked := record("", g1)
	next := RecordGap(acked, ackOf(g1), g2)
	if _, open := Acknowledge(next, ackOf(g1)); !open {
		t.Fatal("a gap recorded after the acknowledgement is hidden by it")
	}
}
