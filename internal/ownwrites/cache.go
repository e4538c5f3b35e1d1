// Package ownwrites remembers the statuses the operator wrote, for reads
// from an informer cache that has not caught up with them yet.
package ownwrites

import (
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// Cache remembers the last status this operator wrote for each
// object. The informer cache can hand a reconcile an object from before
// that write (another event for the same object was queued meanwhile);
// acting on such a stale status is dangerous — a slot whose status does not
// yet say it is owned would be "created" instead of "recreated" after a
// failover, and the data gap lost. So a reconcile overlays the remembered
// status when the cached object is older.
//
// Age is judged by resourceVersion, which the API server derives from etcd's
// revision and so grows monotonically; a version that does not parse as a
// number is never judged older.
//
// An entry lives only until the cache has caught up: the informer never
// goes back to an older version of an object, so once it has handed out
// the written version (or a later one) the entry can never be used again,
// and keeping a copy of every object's status would cost memory in
// proportion to the number of objects.
type Cache[S any] struct {
	mu sync.Mutex
	m  map[types.NamespacedName]written[S]
}

type written[S any] struct {
	rv     uint64
	status S
}

func New[S any]() *Cache[S] {
	return &Cache[S]{m: map[types.NamespacedName]written[S]{}}
}

// remember records a status written with the resulting resourceVersion.
func (c *Cache[S]) Remember(key types.NamespacedName, rv string, status S) {
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.m[key]; !ok || n > w.rv {
		c.m[key] = written[S]{rv: n, status: status}
	}
}

// newer returns the remembered status when it is newer than the cached
// object's resourceVersion, and drops the entry when the cache has caught
// up with it.
func (c *Cache[S]) Newer(key types.NamespacedName, cachedRV string) (S, bool) {
	var zero S
	n, err := strconv.ParseUint(cachedRV, 10, 64)
	if err != nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[key]
	if !ok {
		return zero, false
	}
	if w.rv <= n {
		delete(c.m, key)
		return zero, false
	}
	return w.status, true
}

func (c *Cache[S]) Forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
