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
	var last sync.Map
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	last.Store("old", t0)
	last.Store("recent", t0.Add(3*time.Second))
	sweepDue(&last, 5*time.Second, t0.Add(6*time.Second))
	if _, ok := last.Load("old"); ok {
		t.Errorf("a turn 6 s old is kept; want it forgotten")
	}
	if _, ok := last.Load("recent"); !ok {
		t.Errorf("a turn 3 s old is forgotten; want it kept")
	}
	if claimDue(&last, "recent", 5*time.Second, t0.Add(6*time.Second)) {
		t.Errorf("the kept turn no longer spaces its key")
	}
}
