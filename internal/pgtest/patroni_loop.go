package pgtest

import (
	"context"
	"fmt"
	"strings"
)

// Patroni acts on replication slots in its HA loop, every loop_wait seconds
// or sooner when woken. Tests need to know that a loop ran: whether Patroni
// left a slot alone is only meaningful after it had the chance to drop it.
//
// Patroni's main module logs exactly one INFO line per loop, its outcome
// ("no action. I am (pg0), the leader with the lock"), and nothing else at
// INFO: with the logger's name in the format, that line marks a loop's end.
const patroniLoopEnd = " INFO [patroni.__main__]: "

// RunLoops makes the member's Patroni run n complete HA loops, each begun
// after the call, and waits until they have ended. It wakes Patroni with a
// PATCH /config that changes nothing (Patroni wakes its loop on every PATCH),
// so it takes milliseconds rather than loop_wait seconds. The first loop
// end seen may belong to a loop already running at the call, hence n+1.
func (c *PatroniCluster) RunLoops(ctx context.Context, member string, n int) error {
	for i := range n + 1 {
		offset := c.PatroniLogOffset(member)
		if err := c.wake(ctx, member); err != nil {
			return err
		}
		what := fmt.Sprintf("HA loop %d of %d of %s", i+1, n+1, member)
		if err := c.poll(ctx, what, func() (bool, error) {
			return strings.Contains(c.PatroniLogSince(member, offset), patroniLoopEnd), nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// wake sends a PATCH /config removing a key that does not exist: the
// configuration stays as it is, and Patroni wakes its HA loop.
func (c *PatroniCluster) wake(ctx context.Context, member string) error {
	_, err := c.PatchConfig(ctx, member, map[string]any{"pgtest_wakeup": nil})
	return err
}

// Settle runs two HA loops on every member, so that no re-read of the slot
// lists is pending from what happened before: a Patroni that created a slot
// of its own (a new leader, for each other member) re-reads the list, and
// drops unknown slots, only in its next loop. Call it before creating slots
// that must survive (unless the test is about that window).
func (c *PatroniCluster) Settle(ctx context.Context) error {
	for _, m := range c.members {
		if err := c.RunLoops(ctx, m.member.Name, 2); err != nil {
			return err
		}
	}
	return nil
}
