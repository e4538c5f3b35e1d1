package status

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func lsnOf(t *testing.T, s string) postgres.LSN {
	t.Helper()
	l, err := postgres.ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestFailoverGap(t *testing.T) {
	start := "0/1504C68"
	cases := []struct {
		name                  string
		from                  string
		fork                  Fork
		wantFrom              string
		wantBytes             *int64
		wantAheadFrom, wantTo string // wantTo "" = no ahead window
		wantAheadBytes        *int64
	}{
		{name: "consumer behind the fork: the gap starts at its position",
			from: "0/1500000", fork: Fork{Timeline: 1, At: 0x1503000, Known: true},
			wantFrom: "0/1500000", wantBytes: ptr(0x4C68)},
		{name: "consumer past the fork but before the new slot (the reversed gap before the fix was not possible here)",
			from: "0/1503728", fork: Fork{Timeline: 1, At: 0x1503000, Known: true},
			wantFrom: "0/1503000", wantBytes: ptr(0x1C68), wantAheadFrom: "0/1503000", wantTo: "0/1503728", wantAheadBytes: ptr(0x728)},
		{name: "consumer past the new slot's start: the gap that used to be reversed",
			from: "0/1505000", fork: Fork{Timeline: 1, At: 0x1503000, Known: true},
			wantFrom: "0/1503000", wantBytes: ptr(0x1C68), wantAheadFrom: "0/1503000", wantTo: "0/1505000", wantAheadBytes: ptr(0x2000)},
		{name: "fork unknown, consumer past the start: ahead for certain, from an unknown point",
			from: "0/1505000", fork: Fork{Timeline: 1},
			wantFrom: "", wantTo: "0/1505000"},
		{name: "fork unknown, consumer before the start: told as before",
			from: "0/1500000", fork: Fork{Timeline: 1},
			wantFrom: "0/1500000", wantBytes: ptr(0x4C68)},
		{name: "position unknown", from: "", fork: Fork{Timeline: 1, At: 0x1503000, Known: true}, wantFrom: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := api.DataGap{Reason: api.ReasonFailover, FromLSN: c.from, ToLSN: start, Bytes: spanBytes(c.from, start)}
			got := FailoverGap(g, c.fork, lsnOf(t, start))
			if got.FromLSN != c.wantFrom || !eqPtr(got.Bytes, c.wantBytes) || got.ToLSN != start {
				t.Fatalf("gap = %s..%s (%v bytes), want %s..%s (%v)", got.FromLSN, got.ToLSN, bytesOf(got.Bytes), c.wantFrom, start, bytesOf(c.wantBytes))
			}
			if f, err := postgres.ParseLSN(got.FromLSN); err == nil && f > lsnOf(t, got.ToLSN) {
				t.Fatalf("the gap ends before it starts: %s..%s", got.FromLSN, got.ToLSN)
			}
			a := got.ConsumerAhead
			if (a != nil) != (c.wantTo != "") {
				t.Fatalf("consumerAhead = %+v, want to %q", a, c.wantTo)
			}
			if a != nil && (a.FromLSN != c.wantAheadFrom || a.ToLSN != c.wantTo || a.Timeline != 1 || !eqPtr(a.Bytes, c.wantAheadBytes)) {
				t.Fatalf("consumerAhead = %+v (%v bytes), want %s..%s (%v)", a, bytesOf(a.Bytes), c.wantAheadFrom, c.wantTo, bytesOf(c.wantAheadBytes))
			}
		})
	}
}

func TestConsumerAheadCondition(t *testing.T) {
	at := metav1.Now()
	g := api.DataGap{Reason: api.ReasonFailover, FromLSN: "0/1503000", ToLSN: "0/1504C68", At: at,
		ConsumerAhead: &api.ConsumerAhead{Timeline: 1, FromLSN: "0/1503000", ToLSN: "0/1505000", Bytes: ptr(0x2000)}}
	rec := RecordGap(GapRecord{}, "", g)
	c := dataGap(SlotInputs{Gap: rec.Window})
	if c == nil || c.Reason != api.ReasonConsumerAhead {
		t.Fatalf("condition = %+v, want reason ConsumerAhead", c)
	}
	for _, want := range []string{"between 0/1503000 and 0/1504C68", "between 0/1503000 and 0/1505000 on timeline 1", "8.0KiB", "never received"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q lacks %q", c.Message, want)
		}
	}
	// A later plain gap widens the window and keeps what the consumer holds.
	later := api.DataGap{Reason: api.ReasonMissing, FromLSN: "0/1600000", ToLSN: "0/1700000", At: metav1.NewTime(at.Add(5e9))}
	rec = RecordGap(rec, "", later)
	if a := rec.Window.ConsumerAhead; a == nil || a.ToLSN != "0/1505000" {
		t.Fatalf("merged window lost the consumer-ahead part: %+v", rec.Window)
	}
	if c := dataGap(SlotInputs{Gap: rec.Window}); c.Reason != api.ReasonConsumerAhead {
		t.Fatalf("merged condition reason %s", c.Reason)
	}
	// Acknowledged, nothing is reported.
	if _, open := Acknowledge(rec, AckValue(rec.Window.At)); open {
		t.Fatal("acknowledging the window must clear the consumer-ahead part with it")
	}
}

func ptr(v int64) *int64 { return &v }

func eqPtr(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func bytesOf(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
