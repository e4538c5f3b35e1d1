package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

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
// every replica streams (Patroni refuses a candidate that does not) and for
// a healthy Raft.
func (c *PatroniCluster) Switchover(ctx context.Context, candidate string) (SwitchoverResult, error) {
	// Patroni refuses a candidate that does not stream (HTTP 412).
	if err := errors.Join(c.WaitStreaming(ctx), c.WaitRaft(ctx)); err != nil {
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
	if err := c.awaitSwitchover(ctx, &res); err != nil {
		return res, fmt.Errorf("%w\n%s", err, c.Logs())
	}
	return res, nil
}

// awaitSwitchover posts the switchover and waits until Patroni answered
// and the candidate accepts writes, filling in res's times.
func (c *PatroniCluster) awaitSwitchover(ctx context.Context, res *SwitchoverResult) error {
	answer := make(chan time.Time, 1)
	var postErr error
	go func() {
		postErr = c.postSwitchover(ctx, res.From, res.To)
		answer <- time.Now()
	}()
	// Poll the candidate while Patroni works, so that WritableAt is not
	// rounded up to Patroni's one-second polling of the DCS.
	err := c.poll(ctx, res.To+" accepting writes", func() (bool, error) {
		select {
		case res.RespondedAt = <-answer:
			if postErr != nil {
				return false, pollFatal{postErr}
			}
		default:
		}
		return c.Writable(ctx, res.To) == nil, nil
	})
	res.WritableAt = time.Now()
	if err == nil && res.RespondedAt.IsZero() {
		res.RespondedAt = <-answer
		err = postErr
	}
	return err
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
