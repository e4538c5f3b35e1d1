package creator

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// watch runs once per interval while the creation waits.
func (j *job) watch(parent context.Context) {
	// Bounded like a read, so a slow server cannot pile the queries up.
	ctx, cancel := context.WithTimeout(parent, j.req.Conn.Timeout())
	defer cancel()
	blockers, _ := j.blockers(ctx)
	calls, snapErr := j.snapshot(ctx)
	terminated, refused, note := j.terminate(ctx, blockers)
	before := j.state()
	changed := !samePIDs(before.Blockers, blockers) || len(terminated) > 0 || len(refused) > 0 ||
		(snapErr == nil) != (before.SnapshotErr == nil) || note != before.TerminateNote
	apply := func(s *State) {
		s.Blockers, s.SnapshotCalls, s.SnapshotErr, s.TerminateNote = blockers, s.SnapshotCalls+calls, snapErr, note
		s.Terminated = append(s.Terminated, terminated...)
		s.Refused = append(s.Refused, refused...)
	}
	if changed {
		j.update(apply)
		return
	}
	j.mu.Lock()
	apply(&j.st)
	j.mu.Unlock()
}

// blockers names what the creation waits for: on the member itself, the
// holders of the locks it waits on; on a standby, the primary's open
// transactions, which the next running-xacts record will list.
func (j *job) blockers(ctx context.Context) ([]postgres.Blocker, error) {
	if j.req.OnStandby {
		q, err := querier(ctx, j.req.Primary)
		if err != nil {
			return nil, err
		}
		return postgres.OpenTransactions(ctx, q)
	}
	q, err := querier(ctx, j.req.Target)
	if err != nil {
		return nil, err
	}
	return postgres.CreationBlockers(ctx, q, j.req.Options.Name)
}

// snapshot calls pg_log_standby_snapshot() on the primary: always for a
// creation on a standby (it needs a fresh running-xacts record that an idle
// primary does not write), and on the primary once the wait outlived one
// interval (harmless, and decoding may wait for a newer record too).
func (j *job) snapshot(ctx context.Context) (int, error) {
	st := j.state()
	if !j.req.Snapshot {
		return 0, nil
	}
	if !j.req.OnStandby && time.Since(st.Started) < j.interval() {
		return 0, nil
	}
	q, err := querier(ctx, j.req.Primary)
	if err != nil {
		return 0, err
	}
	if err := postgres.LogStandbySnapshot(ctx, q); err != nil {
		return 0, err
	}
	return 1, nil
}

func samePIDs(a, b []postgres.Blocker) bool {
	pids := func(bs []postgres.Blocker) []int32 {
		out := make([]int32, 0, len(bs))
		for _, x := range bs {
			out = append(out, x.PID)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(pids(a), pids(b))
}

var errNoQuerier = errors.New("no connection for this query")

func querier(ctx context.Context, get func(context.Context) (postgres.Querier, error)) (postgres.Querier, error) {
	if get == nil {
		return nil, errNoQuerier
	}
	return get(ctx)
}
