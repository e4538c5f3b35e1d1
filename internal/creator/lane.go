package creator

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// lane holds one server's creations that have their connection and wait
// for PostgreSQL: at most perServer of them. Every reconcile that waits
// for a creation asks whether one of these has waited too long (stuck);
// asking the lane costs those few, where a scan of every creation made a
// failover of a thousand slots quadratic in its reconciles.
type lane struct {
	mu   sync.Mutex
	held map[*job]struct{}
}

func newLane() *lane { return &lane{held: map[*job]struct{}{}} }

func (l *lane) enter(j *job) {
	l.mu.Lock()
	l.held[j] = struct{}{}
	l.mu.Unlock()
}

func (l *lane) leave(j *job) {
	l.mu.Lock()
	delete(l.held, j)
	l.mu.Unlock()
}

// waitedLonger: a creation in the lane has waited for PostgreSQL longer
// than d.
func (l *lane) waitedLonger(d time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for j := range l.held {
		if j.waitedLonger(d) {
			return true
		}
	}
	return false
}

// pendingAhead returns the server's bulk creations (Request.Ahead) that
// have not ended, and forgets those that have, so that each reconcile of
// a failover looks at the bulk still running rather than at all of it.
// The caller holds c.mu.
func (c *Creator) pendingAhead(server types.NamespacedName) []*job {
	var pending []*job
	for _, j := range c.ahead[server] {
		select {
		case <-j.done:
		default:
			pending = append(pending, j)
		}
	}
	if len(pending) == 0 {
		delete(c.ahead, server)
	} else {
		c.ahead[server] = pending
	}
	return pending
}
