package monitor

import (
	"context"
	"testing"
	"time"
)

// A poll asked for by an action waits until refreshGap after the last poll
// began; one asked for urgently (the sentinel broke) does not wait.
func TestSleepCoalescesRefreshes(t *testing.T) {
	s := &server{wake: make(chan struct{}, 1), soon: make(chan struct{}, 1)}
	ctx := context.Background()

	began := time.Now()
	s.lookSoon()
	s.lookSoon() // a second ask while one is pending adds nothing
	if !s.sleep(ctx, time.Hour, began) {
		t.Fatal("sleep ended without its context ending")
	}
	if waited := time.Since(began); waited < refreshGap {
		t.Fatalf("a poll asked for by an action came %s after the last began, want at least %s", waited, refreshGap)
	}
	if len(s.soon) != 0 {
		t.Fatal("the second ask was kept for another poll")
	}

	// Long after the last poll began, the ask is served at once; and an
	// urgent refresh cuts the gap short.
	s.lookSoon()
	if !s.sleep(ctx, time.Hour, time.Now().Add(-time.Minute)) {
		t.Fatal("sleep ended without its context ending")
	}
	began = time.Now()
	s.lookSoon()
	go func() { time.Sleep(10 * time.Millisecond); s.refresh() }()
	s.sleep(ctx, time.Hour, began.Add(time.Hour)) // the gap would last an hour
	if waited := time.Since(began); waited > 30*time.Second {
		t.Fatalf("an urgent refresh waited %s", waited)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if s.sleep(cancelled, time.Hour, time.Now()) {
		t.Fatal("sleep did not report its context's end")
	}
}
