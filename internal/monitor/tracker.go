package monitor

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// tracker maps a server's slot names to the ReplicationSlots that watch them.
type tracker struct {
	mu    sync.Mutex
	byObj map[types.NamespacedName]trackedSlot
}

type trackedSlot struct {
	server types.NamespacedName
	slot   string
	// expected is when the object last knew its slot existed (it created
	// or read it) while the snapshot lacked it; zero when no snapshot is
	// awaited for it.
	expected time.Time
}

func newTracker() *tracker {
	return &tracker{byObj: map[types.NamespacedName]trackedSlot{}}
}

func (t *tracker) track(server types.NamespacedName, slot string, obj types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ts := trackedSlot{server: server, slot: slot}
	if old, ok := t.byObj[obj]; ok && old.server == server && old.slot == slot {
		ts.expected = old.expected
	}
	t.byObj[obj] = ts
}

// expect records that obj saw its slot before any snapshot did.
func (t *tracker) expect(server types.NamespacedName, slot string, obj types.NamespacedName, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts, ok := t.byObj[obj]; ok && ts.server == server && ts.slot == slot {
		ts.expected = at
		t.byObj[obj] = ts
	}
}

// due returns, by slot name, the objects of a server whose expectation a
// snapshot settles, and forgets those expectations. A snapshot settles it
// when it holds the slot (whenever its poll began: the slot was read after
// the object knew it, so it is no news), or when its poll began after the
// slot was known to exist, which makes its absence news (notifyMissing).
// Settling on the slot alone matters while polls run back to back, as in a
// failover's recreations: a poll under way when a creation ends shows the
// slot, and waking its object for that cost a reconcile per slot.
func (t *tracker) due(server types.NamespacedName, pollStart time.Time, holds func(slot string) bool) map[string][]types.NamespacedName {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out map[string][]types.NamespacedName
	for obj, ts := range t.byObj {
		if ts.server != server || ts.expected.IsZero() || (!pollStart.After(ts.expected) && !holds(ts.slot)) {
			continue
		}
		if out == nil {
			out = map[string][]types.NamespacedName{}
		}
		out[ts.slot] = append(out[ts.slot], obj)
		ts.expected = time.Time{}
		t.byObj[obj] = ts
	}
	return out
}

func (t *tracker) untrack(obj types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byObj, obj)
}

// watchers returns the objects watching a server, by slot name.
func (t *tracker) watchers(server types.NamespacedName) map[string][]types.NamespacedName {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string][]types.NamespacedName{}
	for obj, ts := range t.byObj {
		if ts.server == server {
			out[ts.slot] = append(out[ts.slot], obj)
		}
	}
	return out
}
