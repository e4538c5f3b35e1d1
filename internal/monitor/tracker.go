package monitor

import (
	"sync"

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
}

func newTracker() *tracker {
	return &tracker{byObj: map[types.NamespacedName]trackedSlot{}}
}

func (t *tracker) track(server types.NamespacedName, slot string, obj types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byObj[obj] = trackedSlot{server: server, slot: slot}
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
