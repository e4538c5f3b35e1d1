package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// sampler reads the operator's memory (/proc/<pid>/status) and counts its
// role's PostgreSQL backends once a second, attributing each sample to the
// current phase. Its own connection is the superuser's, so it never counts
// itself.
type sampler struct {
	pid    int
	conn   *pgx.Conn
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	phase  string
	phases map[string]*phaseStats
}

type phaseStats struct {
	rss      []int64 // KiB, one per second
	maxConns int
	atMax    []string // the backends by database and kind when maxConns was first seen
	endConns int      // the last sample's count
}

func startSampler(ctx context.Context, pid int, pg *pgtest.Server) (*sampler, error) {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &sampler{pid: pid, conn: conn, cancel: cancel, done: make(chan struct{}),
		phase: "setup", phases: map[string]*phaseStats{}}
	go s.loop(sctx)
	return s, nil
}

func (s *sampler) stop() {
	s.cancel()
	<-s.done
	_ = s.conn.Close(context.Background())
}

func (s *sampler) setPhase(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = p
}

// stats returns a copy of what was sampled in phase p.
func (s *sampler) stats(p string) phaseStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.phases[p]; st != nil {
		return phaseStats{rss: append([]int64(nil), st.rss...), maxConns: st.maxConns, atMax: st.atMax, endConns: st.endConns}
	}
	return phaseStats{}
}

func (s *sampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sample(ctx)
		}
	}
}

func (s *sampler) sample(ctx context.Context) {
	rss := procStatusKiB(s.pid, "VmRSS")
	n, by := s.operatorBackends(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.phases[s.phase]
	if st == nil {
		st = &phaseStats{}
		s.phases[s.phase] = st
	}
	if rss > 0 {
		st.rss = append(st.rss, rss)
	}
	st.endConns = n
	if n > st.maxConns {
		st.maxConns, st.atMax = n, by
	}
}

// operatorBackends counts every backend of the operator's role, walsenders
// included, and describes them by database, kind and application name.
func (s *sampler) operatorBackends(ctx context.Context) (int, []string) {
	rows, err := s.conn.Query(ctx, `SELECT coalesce(datname, '-'), backend_type, application_name, count(*)
		FROM pg_stat_activity WHERE usename = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, role)
	if err != nil {
		return 0, nil
	}
	defer rows.Close()
	total := 0
	var by []string
	for rows.Next() {
		var db, kind, app string
		var n int
		if rows.Scan(&db, &kind, &app, &n) == nil {
			total += n
			by = append(by, fmt.Sprintf("%d × %s in %s (application_name %q)", n, kind, db, app))
		}
	}
	return total, by
}

// peakRSS is the operator's high-water mark (VmHWM): the peak between
// samples too.
func (s *sampler) peakRSS() int64 { return procStatusKiB(s.pid, "VmHWM") }

// procStatusKiB reads one "Key:   123 kB" line of /proc/<pid>/status; 0 if
// the process is gone.
func procStatusKiB(pid int, key string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
