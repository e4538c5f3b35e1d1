package monitor

import (
	"context"
	"time"
)

// refreshGap is the least time between the start of a poll and the next
// one asked for by an action of the operator's (Refresh). Every creation,
// drop and copy asks for one, so that the server's inventory and the
// slot's own figures follow; during a failover's recreations those were
// back-to-back polls, each listing every slot of every member, which ate
// CPU the recreations needed. A quarter of a second keeps the inventory as
// current as anyone reads it and bounds those polls to four a second.
const refreshGap = 250 * time.Millisecond

// refresh asks for a poll at once.
func (s *server) refresh() { signal(s.wake) }

// lookSoon asks for a poll no sooner than refreshGap after the last began.
func (s *server) lookSoon() { signal(s.soon) }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sleep waits until the next poll is due: after wait, at once when asked
// to refresh, and refreshGap after the last poll began when asked to look
// soon. It reports false when ctx ended.
func (s *server) sleep(ctx context.Context, wait time.Duration, began time.Time) bool {
	due := time.NewTimer(wait)
	defer due.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.wake:
		return true
	case <-due.C:
		return true
	case <-s.soon:
	}
	gap := time.NewTimer(time.Until(began.Add(refreshGap)))
	defer gap.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.wake:
	case <-due.C:
	case <-gap.C:
	}
	return true
}
