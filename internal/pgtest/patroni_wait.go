package pgtest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// patroniWaitTimeout bounds every wait whose context has no earlier
// deadline: bootstrapping a member takes a few seconds, a TTL at most 30.
const patroniWaitTimeout = 2 * time.Minute

// pollFatal ends a poll at once; any other error a condition returns is
// only remembered as the last one.
type pollFatal struct{ error }

// poll calls cond every pollInterval until it returns true, a pollFatal, or
// the time is up; the error then names what was awaited and the last error.
func (c *PatroniCluster) poll(ctx context.Context, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, patroniWaitTimeout)
	defer cancel()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if fatal := (pollFatal{}); errors.As(err, &fatal) {
			return fatal.error
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: Patroni cluster %s: waiting for %s: %w (last error: %v)", c.Scope, what, ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// Leader returns the member holding the leader key, as the first member
// that answers GET /cluster sees it; "" when there is none.
func (c *PatroniCluster) Leader(ctx context.Context) (string, error) {
	st, err := c.clusterStatus(ctx)
	if err != nil {
		return "", err
	}
	for _, m := range st.Members {
		if m.Role == "leader" || m.Role == "standby_leader" {
			return m.Name, nil
		}
	}
	return "", nil
}

// WaitLeader waits until a member holds the leader key and its PostgreSQL
// accepts writes, and returns its name.
func (c *PatroniCluster) WaitLeader(ctx context.Context) (string, error) {
	var leader string
	err := c.poll(ctx, "a leader accepting writes", func() (bool, error) {
		if err := c.checkProcesses(); err != nil {
			return false, pollFatal{err}
		}
		name, err := c.Leader(ctx)
		if err != nil || name == "" {
			return false, err
		}
		leader = name
		err = c.Writable(ctx, name)
		return err == nil, err
	})
	if err != nil {
		return "", err
	}
	return leader, nil
}

// Writable returns nil when the member's PostgreSQL accepts writes: it
// assigns a transaction id, which a server in recovery refuses.
func (c *PatroniCluster) Writable(ctx context.Context, member string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Exec(ctx, member, `SELECT pg_current_xact_id()`)
}

// checkProcesses fails once the witness or every member's Patroni is gone:
// nothing could elect a leader then.
func (c *PatroniCluster) checkProcesses() error {
	if !c.witness.running() {
		return fmt.Errorf("pgtest: Patroni cluster %s: the raft witness exited\n%s", c.Scope, c.witness.logs())
	}
	for _, m := range c.members {
		if m.running() {
			return nil
		}
	}
	return fmt.Errorf("pgtest: Patroni cluster %s: no member's Patroni is running", c.Scope)
}

// WaitStreaming waits for a leader and until every other member streams
// from it (pg_stat_replication; Patroni names each walreceiver after its
// member).
func (c *PatroniCluster) WaitStreaming(ctx context.Context) error {
	leader, err := c.WaitLeader(ctx)
	if err != nil {
		return err
	}
	want := make([]string, 0, len(c.members)-1)
	for _, m := range c.members {
		if m.member.Name != leader {
			want = append(want, m.member.Name)
		}
	}
	return c.poll(ctx, fmt.Sprintf("%v streaming from %s", want, leader), func() (bool, error) {
		var n int
		err := c.QueryRow(ctx, leader, `SELECT count(*) FROM pg_stat_replication
			WHERE state = 'streaming' AND application_name = ANY($1)`, []any{want}, &n)
		return err == nil && n == len(want), err
	})
}

// otherMember returns the first member that is not name.
func (c *PatroniCluster) otherMember(name string) string {
	for _, m := range c.members {
		if m.member.Name != name {
			return m.member.Name
		}
	}
	return ""
}
