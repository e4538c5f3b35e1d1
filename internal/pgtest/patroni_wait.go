package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
		return true, c.Writable(ctx, name)
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

// SwitchoverResult tells when each step of a switchover happened.
type SwitchoverResult struct {
	From, To    string
	RequestedAt time.Time // POST /switchover sent
	WritableAt  time.Time // first successful write on the new leader (polled every 50 ms)
	RespondedAt time.Time // Patroni answered 200 (it polls the DCS once a second)
}

// Switchover asks Patroni for a switchover to candidate ("" = any other
// member) through POST /switchover on the leader and returns once Patroni
// confirmed it and the new leader accepts writes. It first waits until
// every replica streams: Patroni refuses a candidate that does not.
func (c *PatroniCluster) Switchover(ctx context.Context, candidate string) (SwitchoverResult, error) {
	// Patroni refuses a candidate that does not stream (HTTP 412).
	if err := c.WaitStreaming(ctx); err != nil {
		return SwitchoverResult{}, err
	}
	leader, err := c.WaitLeader(ctx)
	if err != nil {
		return SwitchoverResult{}, err
	}
	if candidate == "" {
		candidate = c.otherMember(leader)
	}
	if candidate == leader {
		return SwitchoverResult{}, fmt.Errorf("pgtest: switchover to %s, which is the leader already", candidate)
	}
	res := SwitchoverResult{From: leader, To: candidate, RequestedAt: time.Now()}
	answer := make(chan time.Time, 1)
	var postErr error
	go func() {
		postErr = c.postSwitchover(ctx, leader, candidate)
		answer <- time.Now()
	}()
	// Poll the candidate while Patroni works, so that WritableAt is not
	// rounded up to Patroni's one-second polling of the DCS.
	err = c.poll(ctx, candidate+" accepting writes", func() (bool, error) {
		select {
		case res.RespondedAt = <-answer:
			if postErr != nil {
				return false, pollFatal{postErr}
			}
		default:
		}
		return c.Writable(ctx, candidate) == nil, nil
	})
	res.WritableAt = time.Now()
	if err == nil && res.RespondedAt.IsZero() {
		res.RespondedAt = <-answer
		err = postErr
	}
	if err != nil {
		return res, fmt.Errorf("%w\n%s", err, c.Logs())
	}
	return res, nil
}

func (c *PatroniCluster) postSwitchover(ctx context.Context, leader, candidate string) error {
	n, err := c.node(leader)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	body := map[string]any{"leader": leader, "candidate": candidate}
	status, data, err := c.http.do(ctx, http.MethodPost, n.member.RESTURL+"/switchover", body)
	if err != nil {
		return fmt.Errorf("pgtest: POST /switchover: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("pgtest: POST /switchover %s -> %s: HTTP %d: %s", leader, candidate, status, strings.TrimSpace(string(data)))
	}
	return nil
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

// Connect opens a superuser connection to the member's database postgres.
func (c *PatroniCluster) Connect(ctx context.Context, member string) (*pgx.Conn, error) {
	if _, err := c.Member(member); err != nil {
		return nil, err
	}
	return pgx.Connect(ctx, c.SuperuserConnString(member))
}

// Exec runs sql as superuser on the member (simple protocol without args,
// so sql may hold several statements).
func (c *PatroniCluster) Exec(ctx context.Context, member, sql string, args ...any) error {
	conn, err := c.Connect(ctx, member)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// QueryRow runs a one-row query as superuser on the member.
func (c *PatroniCluster) QueryRow(ctx context.Context, member, sql string, args []any, dest ...any) error {
	conn, err := c.Connect(ctx, member)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, sql, args...).Scan(dest...)
}
