package slot

import (
	"testing"
	"time"
)

func TestHolderWait(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	grace := 30 * time.Second
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	cases := []struct {
		name      string
		prev      missingSpan
		now       time.Time
		wantFirst time.Time
		wantWait  time.Duration
	}{
		{"first finding: the whole grace", missingSpan{}, at(0), at(0), grace},
		{"the same stretch: the rest of it", missingSpan{at(0), at(10)}, at(12), at(0), 18 * time.Second},
		{"a requeue just after the grace: none left", missingSpan{at(0), at(0)}, at(31), at(0), 0},
		{"long after the grace, still missing: none", missingSpan{at(0), at(50)}, at(70), at(0), 0},
		{"found again long after the last finding: a new stretch", missingSpan{at(0), at(10)}, at(100), at(100), grace},
		{"a clock that went back: a new stretch", missingSpan{at(50), at(50)}, at(40), at(40), grace},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			span, wait := holderWait(c.prev, c.now, grace)
			if !span.first.Equal(c.wantFirst) || !span.last.Equal(c.now) || wait != c.wantWait {
				t.Fatalf("holderWait = %v..%v, %v; want %v..%v, %v", span.first, span.last, wait, c.wantFirst, c.now, c.wantWait)
			}
		})
	}
}
