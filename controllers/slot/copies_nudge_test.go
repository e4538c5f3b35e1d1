package slot

import (
	"sync"
	"testing"
	"time"
)

// One turn per key per interval, whoever asks; keys do not share turns.
func TestClaimDue(t *testing.T) {
	var last sync.Map
	t0 := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", 4 * time.Second, false},
		{"b", 4 * time.Second, true},
		{"a", 5 * time.Second, true},
		{"a", 9 * time.Second, false},
		{"a", 10 * time.Second, true},
	}
	for _, s := range steps {
		if got := claimDue(&last, s.key, 5*time.Second, t0.Add(s.at)); got != s.want {
			t.Errorf("%s at %v: %v, want %v", s.key, s.at, got, s.want)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if claimDue(&last, "c", 5*time.Second, t0) {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("concurrent claims: %d won, want 1", won)
	}
}

func TestSweepDue(t *testing.T) {
	var last, counts sync.Map
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	last.Store("old", t0)
	counts.Store("old", 3)
	last.Store("recent", t0.Add(3*time.Second))
	counts.Store("recent", 2)
	sweepDue(&last, 5*time.Second, t0.Add(6*time.Second), &counts)
	if _, ok := last.Load("old"); ok {
		t.Errorf("a turn 6 s old is kept; want it forgotten")
	}
	if _, ok := counts.Load("old"); ok {
		t.Errorf("the count of a forgotten turn is kept")
	}
	if _, ok := last.Load("recent"); !ok {
		t.Errorf("a turn 3 s old is forgotten; want it kept")
	}
	if _, ok := counts.Load("recent"); !ok {
		t.Errorf("the count of a kept turn is forgotten")
	}
	if claimDue(&last, "recent", 5*time.Second, t0.Add(6*time.Second)) {
		t.Errorf("the kept turn no longer spaces its key")
	}
}

func TestNudgeInterval(t *testing.T) {
	want := []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second,
		40 * time.Second, time.Minute, time.Minute, time.Minute}
	for fruitless, w := range want {
		if got := nudgeInterval(fruitless); got != w {
			t.Errorf("nudgeInterval(%d) = %v, want %v", fruitless, got, w)
		}
	}
	if got := nudgeInterval(1000); got != nudgeMaxEvery {
		t.Errorf("nudgeInterval(1000) = %v, want %v", got, nudgeMaxEvery)
	}
}

func TestFruitlessNudges(t *testing.T) {
	r := &Reconciler{}
	key := standbyKey{member: "10.0.0.2:5432"}
	t0 := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	if got := r.fruitlessNudges(key, t0); got != 0 {
		t.Errorf("no nudge yet: %d, want 0", got)
	}
	r.syncNudges.Store(key, t0)
	r.syncFruitless.Store(key, 6)
	if got := r.fruitlessNudges(key, t0.Add(time.Minute)); got != 6 {
		t.Errorf("a minute after the last nudge: %d, want 6", got)
	}
	if got := r.fruitlessNudges(key, t0.Add(2*nudgeMaxEvery)); got != 0 {
		t.Errorf("two spacings after the last nudge: %d, want 0 (an earlier episode)", got)
	}
	if _, ok := r.syncFruitless.Load(key); ok {
		t.Errorf("the earlier episode's count is kept")
	}
}
