package main

import (
	"context"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// connSampler counts the operator's PostgreSQL backends on every instance
// once a second, per server: each server connects as a role of its own
// (sk_NNN), so pg_stat_activity's usename says which server a backend
// serves, and the pair's backends on its standby add to its primary's.
// The scale scenario's sampler counts one role on one instance, which
// would mix the servers that share an instance. Its own connections are
// the superuser's and never counted.
type connSampler struct {
	conns  []*pgx.Conn // nil where connecting failed or the instance died
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	phase  string
	phases map[string]*connStats
}

type connStats struct {
	maxTotal   int            // the most backends of all servers together
	maxPerRole map[string]int // each server's most
	maxAt      map[string]int // each server's most on one instance, by "role@index"
	// maxLockWaits is the most backends of all servers together waiting
	// for a lock at one sample: a logical slot's creation waits for the
	// transactions running when it began (wait_event_type Lock).
	maxLockWaits int
	sumTotal     int // over all samples, for the mean
	samples      int
}

// lockKey carries the lock waits of a sample in its per-instance map.
const lockKey = "lock waits"

func startConnSampler(ctx context.Context, instances []*pgtest.Server) (*connSampler, error) {
	s := &connSampler{done: make(chan struct{}), phase: "setup", phases: map[string]*connStats{}}
	for _, in := range instances {
		conn, err := in.Connect(ctx, "postgres")
		if err != nil {
			s.closeAll()
			return nil, err
		}
		s.conns = append(s.conns, conn)
	}
	sctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	go s.loop(sctx)
	return s, nil
}

func (s *connSampler) stop() {
	s.cancel()
	<-s.done
	s.closeAll()
}

func (s *connSampler) closeAll() {
	for _, c := range s.conns {
		if c != nil {
			_ = c.Close(context.Background())
		}
	}
}

func (s *connSampler) setPhase(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = p
}

// stats returns a copy of what was sampled in phase p.
func (s *connSampler) stats(p string) connStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.phases[p]
	if st == nil {
		return connStats{maxPerRole: map[string]int{}, maxAt: map[string]int{}}
	}
	out := *st
	out.maxPerRole, out.maxAt = maps.Clone(st.maxPerRole), maps.Clone(st.maxAt)
	return out
}

func (s *connSampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			byRole, at := s.sample(ctx)
			s.record(byRole, at)
		}
	}
}

// sample counts the backends of every sk_ role on every instance that
// answers; an instance that does not (the crashed primary) is left out
// from then on.
func (s *connSampler) sample(ctx context.Context) (byRole, at map[string]int) {
	byRole, at = map[string]int{}, map[string]int{}
	for i, c := range s.conns {
		if c == nil {
			continue
		}
		rows, err := c.Query(ctx, `SELECT usename::text, count(*), count(*) FILTER (WHERE wait_event_type = 'Lock')
			FROM pg_stat_activity WHERE usename LIKE 'sk\_%' GROUP BY 1`)
		if err != nil {
			_ = c.Close(context.Background())
			s.conns[i] = nil
			continue
		}
		for rows.Next() {
			var role string
			var n, waiting int
			if rows.Scan(&role, &n, &waiting) == nil {
				byRole[role] += n
				at[role+"@"+strconv.Itoa(i)] = n
				at[lockKey] += waiting
			}
		}
		rows.Close()
	}
	return byRole, at
}

func (s *connSampler) record(byRole, at map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.phases[s.phase]
	if st == nil {
		st = &connStats{maxPerRole: map[string]int{}, maxAt: map[string]int{}}
		s.phases[s.phase] = st
	}
	for k, n := range at {
		st.maxAt[k] = max(st.maxAt[k], n)
	}
	st.maxLockWaits = max(st.maxLockWaits, at[lockKey])
	total := 0
	for role, n := range byRole {
		total += n
		st.maxPerRole[role] = max(st.maxPerRole[role], n)
	}
	st.maxTotal = max(st.maxTotal, total)
	st.sumTotal += total
	st.samples++
}

// mean is the mean of all servers' backends together per sample.
func (st connStats) mean() float64 {
	if st.samples == 0 {
		return 0
	}
	return float64(st.sumTotal) / float64(st.samples)
}

// maxServer is the most backends any one server but skip held at a
// sample.
func (st connStats) maxServer(skip string) (n int) {
	for role, v := range st.maxPerRole {
		if role != skip {
			n = max(n, v)
		}
	}
	return n
}
