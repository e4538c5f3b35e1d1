package slot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// intentStore stands in for kube-apiserver's merge of the log's patches
// into status.creationIntents; gate, when set, holds each write until it
// is closed.
type intentStore struct {
	mu      sync.Mutex
	entries map[string]string
	writes  int
	fail    error
	gate    chan struct{}
	entered chan struct{}
}

func (s *intentStore) write(_ context.Context, _ types.NamespacedName, patch []byte) error {
	if s.entered != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
	}
	if s.gate != nil {
		<-s.gate
	}
	var p struct {
		Status struct {
			CreationIntents map[string]*string `json:"creationIntents"`
		} `json:"status"`
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.fail != nil {
		return s.fail
	}
	for uid, slot := range p.Status.CreationIntents {
		if slot == nil {
			delete(s.entries, uid)
		} else {
			s.entries[uid] = *slot
		}
	}
	return nil
}

func (s *intentStore) has(uid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.entries[uid]
	return ok
}

var intentServer = types.NamespacedName{Namespace: "team", Name: "db"}

func TestIntentLogSharesWritesAndReturnsOnceDurable(t *testing.T) {
	store := &intentStore{entries: map[string]string{}, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	l := newIntentLog(store.write)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	durable := make([]bool, n)
	for i := range n {
		if i == 1 {
			<-store.entered // the first write is under way, alone
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid := types.UID(fmt.Sprintf("uid-%d", i))
			errs[i] = l.Record(t.Context(), intentServer, uid, fmt.Sprintf("slot_%d", i))
			durable[i] = store.has(string(uid))
		}()
	}
	waitPending(t, l, n-1) // the first write is held; the others queue behind it
	close(store.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !durable[i] {
			t.Fatalf("record %d: err %v, in the store when Record returned: %v", i, errs[i], durable[i])
		}
	}
	if store.writes > 2 {
		t.Fatalf("%d concurrent intents took %d writes, want at most 2", n, store.writes)
	}
	if !l.Has(intentServer, "uid-3", "slot_3", nil) || l.Has(intentServer, "uid-3", "slot_4", nil) {
		t.Fatal("the log does not know what it wrote")
	}
}

// waitPending waits until at least n entries are queued behind a write.
func waitPending(t *testing.T, l *intentLog, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		s := l.servers[intentServer]
		got := 0
		if s != nil {
			got = len(s.pending)
		}
		l.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d intents queued", n)
}

func TestIntentLogFailedWriteIsNoIntent(t *testing.T) {
	store := &intentStore{entries: map[string]string{}, fail: errors.New("conflict")}
	l := newIntentLog(store.write)
	if err := l.Record(t.Context(), intentServer, "u", "s"); err == nil {
		t.Fatal("a failed write was reported durable")
	}
	if l.Has(intentServer, "u", "s", nil) {
		t.Fatal("an intent whose write failed counts")
	}
}

func TestIntentLogForgetOutlivesAStaleCache(t *testing.T) {
	store := &intentStore{entries: map[string]string{}}
	l := newIntentLog(store.write)
	if err := l.Record(t.Context(), intentServer, "u", "s"); err != nil {
		t.Fatal(err)
	}
	if err := l.Forget(t.Context(), intentServer, "u"); err != nil {
		t.Fatal(err)
	}
	stale := map[string]string{"u": "s"}
	if store.has("u") || l.Has(intentServer, "u", "s", stale) {
		t.Fatal("a forgotten intent still counts while the cache lags")
	}
	if l.Has(intentServer, "u", "s", nil) {
		t.Fatal("a forgotten intent counts once the cache shows its removal")
	}
	if err := l.Record(t.Context(), intentServer, "u", "s"); err != nil || !l.Has(intentServer, "u", "s", nil) {
		t.Fatalf("a new intent after a forget does not count (err %v)", err)
	}
}

func TestIntentLogDoneWaitsForCompany(t *testing.T) {
	store := &intentStore{entries: map[string]string{"old": "a"}}
	l := newIntentLog(store.write)
	l.settle = 2 * time.Second
	l.Done(intentServer, "old")
	t0 := time.Now()
	if err := l.Record(t.Context(), intentServer, "new", "b"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(t0); waited > l.settle/2 {
		t.Fatalf("an intent waited %v behind a removal's settle period", waited)
	}
	if store.writes != 1 || store.has("old") || !store.has("new") {
		t.Fatalf("writes %d, entries %v: want the removal and the intent in one write", store.writes, store.entries)
	}
}

func TestIntentLogRemovalAloneIsWrittenAfterSettle(t *testing.T) {
	store := &intentStore{entries: map[string]string{"old": "a"}}
	l := newIntentLog(store.write)
	l.settle = 50 * time.Millisecond
	l.Done(intentServer, "old")
	deadline := time.Now().Add(5 * time.Second)
	for store.has("old") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if store.has("old") || store.writes != 1 {
		t.Fatalf("writes %d, entries %v: want the removal written once, alone", store.writes, store.entries)
	}
}

func TestIntentHasFromCache(t *testing.T) {
	var none *intentLog
	cases := []struct {
		name   string
		cached map[string]string
		slot   string
		want   bool
	}{
		{"written by an earlier process", map[string]string{"u": "s"}, "s", true},
		{"for another slot name", map[string]string{"u": "t"}, "s", false},
		{"none", nil, "s", false},
		{"an empty name never matches a missing entry", nil, "", false},
	}
	for _, tc := range cases {
		if got := none.Has(intentServer, "u", tc.slot, tc.cached); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if got := newIntentLog(nil).Has(intentServer, "u", tc.slot, tc.cached); got != tc.want {
			t.Errorf("%s (a log that knows nothing): %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestIntentPatch(t *testing.T) {
	got := string(intentPatch(map[types.UID]intentChange{"a": {slot: "s"}, "b": {forget: true}, "c": {}}))
	want := `{"status":{"creationIntents":{"a":"s","b":null,"c":null}}}`
	if got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}
