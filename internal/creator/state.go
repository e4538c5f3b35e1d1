package creator

import (
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"k8s.io/apimachinery/pkg/types"
)

// State returns the state of the slot's creation, if there is one.
func (c *Creator) State(slot types.NamespacedName) (State, bool) {
	c.mu.Lock()
	j, ok := c.jobs[slot]
	c.mu.Unlock()
	if !ok {
		return State{}, false
	}
	return j.state(), true
}

// Await waits up to d for the slot's creation to finish and returns its
// state then. Most creations take milliseconds: the reconcile that started
// one can record the result itself instead of reporting a creation under
// way and being woken again. The creation's wake-ups are held back while
// the caller waits, since it reads the state when it stops. It does not
// wait while another creation on the same server has already run longer
// than d: that server blocks creations, and a batch of new slots on it
// must not hold the reconcile workers d each.
func (c *Creator) Await(slot types.NamespacedName, d time.Duration) (State, bool) {
	c.mu.Lock()
	j, ok := c.jobs[slot]
	stuck := ok && c.stuck(j.req.Server, d)
	c.mu.Unlock()
	if !ok {
		return State{}, false
	}
	if stuck {
		return j.state(), true
	}
	j.mu.Lock()
	j.awaited++
	j.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-j.done:
	case <-t.C:
	}
	t.Stop()
	j.mu.Lock()
	j.awaited--
	j.mu.Unlock()
	return j.state(), true
}

// stuck reports a creation on the server that has waited for PostgreSQL
// longer than d. The caller holds c.mu.
func (c *Creator) stuck(server types.NamespacedName, d time.Duration) bool {
	l := c.lanes[server]
	return l != nil && l.waitedLonger(d)
}

// TakeTerminations returns the blockers terminated or refused since the
// last call, so each gets exactly one Event.
func (c *Creator) TakeTerminations(slot types.NamespacedName) (ended, refused []postgres.Blocker) {
	c.mu.Lock()
	j, ok := c.jobs[slot]
	c.mu.Unlock()
	if !ok {
		return nil, nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	ended, refused = j.st.Terminated, j.st.Refused
	j.st.Terminated, j.st.Refused = nil, nil
	return ended, refused
}

// Forget drops a finished creation once its result has been used.
func (c *Creator) Forget(slot types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.jobs[slot]; ok && j.state().Done {
		delete(c.jobs, slot)
	}
}

// Close is Cancel for an object being deleted, and keeps any creation for
// it from beginning afterwards: a failover's bulk recreation picks its
// objects before it begins their creations, and one whose deletion ran in
// between must not get a slot nobody would ever drop. The mark is kept
// closedKeep, far longer than any bulk recreation takes.
func (c *Creator) Close(slot types.NamespacedName, uid types.UID) {
	c.mu.Lock()
	now := time.Now()
	for u, at := range c.closed {
		if now.Sub(at) > closedKeep {
			delete(c.closed, u)
		}
	}
	if uid != "" {
		c.closed[uid] = now
	}
	c.mu.Unlock()
	c.Cancel(slot)
}

// closedKeep is how long Close keeps an object's mark.
const closedKeep = 10 * time.Minute

// Stop stops a creation, waits for it to end and returns its state then,
// so the caller knows whether it may have made the slot. PostgreSQL leaves
// no slot behind a creation cancelled while it waits.
func (c *Creator) Stop(slot types.NamespacedName) (State, bool) {
	c.mu.Lock()
	j, ok := c.jobs[slot]
	delete(c.jobs, slot)
	c.mu.Unlock()
	if !ok {
		return State{}, false
	}
	j.cancelAndWait()
	return j.state(), true
}

// Cancel is Stop for a caller that needs no state.
func (c *Creator) Cancel(slot types.NamespacedName) { c.Stop(slot) }

// AwaitAhead waits up to d for every bulk creation (Request.Ahead) on the
// slot's server to end, holding back the slot's own wake-up meanwhile. A
// failover's reconciles wait here rather than write their status while
// the other creations run: the creations would share the CPUs with those
// writes and every consumer would get its slot later. It does not wait
// when a creation on the server has already waited longer than d.
func (c *Creator) AwaitAhead(slot types.NamespacedName, d time.Duration) {
	c.mu.Lock()
	own, ok := c.jobs[slot]
	if !ok || c.stuck(own.req.Server, d) {
		c.mu.Unlock()
		return
	}
	pending := c.pendingAhead(own.req.Server)
	c.mu.Unlock()
	own.mu.Lock()
	own.awaited++
	own.mu.Unlock()
	defer func() {
		own.mu.Lock()
		own.awaited--
		own.mu.Unlock()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	for _, j := range pending {
		select {
		case <-j.done:
		case <-t.C:
			return
		}
	}
}
