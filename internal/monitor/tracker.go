package monitor

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
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
	// or read it) on member `on` while the snapshot lacked it; zero when no
	// snapshot is awaited for it.
	expected time.Time
	on       observation.Endpoint
}

func newTracker() *tracker {
	return &tracker{byObj: map[types.NamespacedName]trackedSlot{}}
}

func (t *tracker) track(server types.NamespacedName, slot string, obj types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ts := trackedSlot{server: server, slot: slot}
	if old, ok := t.byObj[obj]; ok && old.server == server && old.slot == slot {
		ts.expected, ts.on = old.expected, old.on
	}
	t.byObj[obj] = ts
}

// expect records that obj saw its slot before any snapshot did.
func (t *tracker) expect(server types.NamespacedName, slot string, on observation.Endpoint, obj types.NamespacedName, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts, ok := t.byObj[obj]; ok && ts.server == server && ts.slot == slot {
		ts.expected, ts.on = at, on
		t.byObj[obj] = ts
	}
}

// due settles the expectations of a server's objects that a snapshot
// answers, and forgets them. A snapshot answers one when it holds the slot
// on the member the object knew it on, whenever its poll began: the slot
// was read after the object knew it, so it is no news. Those objects come
// back in held, by slot name. A snapshot polled after the object knew of
// the slot and lacking it there answers it too: the slot went away before
// any snapshot held it, and those objects come back in missing, to be
// woken. Settling on the slot alone matters while polls run back to back,
// as in a failover's recreations: a poll under way when a creation ends
// shows the slot, and waking its object for that cost a reconcile per slot.
func (t *tracker) due(server types.NamespacedName, pollStart time.Time, holds func(slot string, on observation.Endpoint) bool) (held map[string][]types.NamespacedName, missing []types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for obj, ts := range t.byObj {
		if ts.server != server || ts.expected.IsZero() {
			continue
		}
		switch {
		case holds(ts.slot, ts.on):
			if held == nil {
				held = map[string][]types.NamespacedName{}
			}
			held[ts.slot] = append(held[ts.slot], obj)
		case pollStart.After(ts.expected):
			missing = append(missing, obj)
		default:
			continue
		}
		ts.expected = time.Time{}
		t.byObj[obj] = ts
	}
	return held, missing
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
