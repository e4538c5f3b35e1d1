package monitor

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// tracker maps a server's slot names to the ReplicationSlots that watch them.
// It is kept by server: each poll walks its own server's objects only.
// With one map of every object, each poll of each server walked the whole
// fleet's objects, a cost that grew with servers × objects (about 5 % of
// an idle operator's CPU at 100 servers of 10 slots, BENCHMARKS.md "A
// fleet on one operator").
type tracker struct {
	mu       sync.Mutex
	byServer map[types.NamespacedName]map[types.NamespacedName]trackedSlot
	serverOf map[types.NamespacedName]types.NamespacedName
}

// watchList is a server's watchers by slot name.
type watchList map[string][]watcher

// watcher is one object watching a slot, with its spec.maxRetainedWAL in
// bytes (0 without one): crossing it wakes the object (notify).
type watcher struct {
	obj    types.NamespacedName
	budget int64
}

type trackedSlot struct {
	server types.NamespacedName
	slot   string
	budget int64
	// expected is when the object last knew its slot existed (it created
	// or read it) on member `on` while the snapshot lacked it; zero when no
	// snapshot is awaited for it.
	expected time.Time
	on       observation.Endpoint
	// seen is the slot's state when the object saw it: a snapshot showing
	// another is news to the object (a consumer connected, PostgreSQL
	// invalidated the slot, or WAL written meanwhile put it over the
	// budget, between the creation and the first poll that lists it), not
	// a confirmation.
	seen observation.RowState
}

func newTracker() *tracker {
	return &tracker{byServer: map[types.NamespacedName]map[types.NamespacedName]trackedSlot{},
		serverOf: map[types.NamespacedName]types.NamespacedName{}}
}

// lookup is obj's entry. Called with t.mu held.
func (t *tracker) lookup(obj types.NamespacedName) (trackedSlot, bool) {
	server, ok := t.serverOf[obj]
	if !ok {
		return trackedSlot{}, false
	}
	ts, ok := t.byServer[server][obj]
	return ts, ok
}

// put stores obj's entry under its server. Called with t.mu held.
func (t *tracker) put(obj types.NamespacedName, ts trackedSlot) {
	objs := t.byServer[ts.server]
	if objs == nil {
		objs = map[types.NamespacedName]trackedSlot{}
		t.byServer[ts.server] = objs
	}
	objs[obj] = ts
	t.serverOf[obj] = ts.server
}

// remove forgets obj. Called with t.mu held.
func (t *tracker) remove(obj types.NamespacedName) {
	server, ok := t.serverOf[obj]
	if !ok {
		return
	}
	delete(t.serverOf, obj)
	delete(t.byServer[server], obj)
	if len(t.byServer[server]) == 0 {
		delete(t.byServer, server)
	}
}

func (t *tracker) track(server types.NamespacedName, slot string, obj types.NamespacedName, budget int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ts := trackedSlot{server: server, slot: slot, budget: budget}
	old, ok := t.lookup(obj)
	switch {
	case ok && old.server != server:
		t.remove(obj) // it moved to another server
	case ok && old.slot == slot:
		ts.expected, ts.on, ts.seen = old.expected, old.on, old.seen
	}
	// Every reconcile tracks its object again: an object that stays with
	// its server is only overwritten, its server's map kept.
	t.put(obj, ts)
}

// expect records that obj saw its slot, in state seen, before any
// snapshot did.
func (t *tracker) expect(server types.NamespacedName, slot string, on observation.Endpoint, obj types.NamespacedName, at time.Time, seen observation.RowState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts, ok := t.lookup(obj); ok && ts.server == server && ts.slot == slot {
		ts.expected, ts.on, ts.seen = at, on, seen
		t.put(obj, ts)
	}
}

// due settles the expectations of a server's objects that a snapshot
// answers, and forgets them. A snapshot answers one when it holds the slot
// on the member the object knew it on, whenever its poll began: the slot
// was read after the object knew it, so it is no news unless its state
// changed in between (a consumer came or went, PostgreSQL invalidated it,
// it went unreserved or over the object's budget). Objects with no news
// come back in held, by slot name. A snapshot polled after the object knew
// of the slot and lacking it there answers it too: the slot went away
// before any snapshot held it. Those objects, and those whose slot's state
// changed, come back in news, to be woken: no fingerprint shows either,
// since no earlier snapshot held the slot. Settling on the slot alone
// matters while polls run back to back, as in a failover's recreations: a
// poll under way when a creation ends shows the slot, and waking its
// object for that cost a reconcile per slot.
func (t *tracker) due(server types.NamespacedName, pollStart time.Time, slotOn func(slot string, on observation.Endpoint) *postgres.Slot) (held map[string][]types.NamespacedName, news []types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	objs := t.byServer[server]
	for obj, ts := range objs {
		if ts.expected.IsZero() {
			continue
		}
		row := slotOn(ts.slot, ts.on)
		switch {
		case row != nil && observation.StateOf(row, ts.budget) == ts.seen:
			if held == nil {
				held = map[string][]types.NamespacedName{}
			}
			held[ts.slot] = append(held[ts.slot], obj)
		case row != nil, pollStart.After(ts.expected):
			news = append(news, obj)
		default:
			continue
		}
		ts.expected = time.Time{}
		objs[obj] = ts // assigning an existing key while ranging is allowed
	}
	return held, news
}

func (t *tracker) untrack(obj types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remove(obj)
}

// watchers returns the objects watching a server, by slot name.
func (t *tracker) watchers(server types.NamespacedName) watchList {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := watchList{}
	for obj, ts := range t.byServer[server] {
		out[ts.slot] = append(out[ts.slot], watcher{obj: obj, budget: ts.budget})
	}
	return out
}
