package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// sentinel holds one idle connection to the primary and waits on it. When
// the primary stops or restarts, PostgreSQL closes the connection and the
// wait returns at once, so the monitor re-probes within milliseconds instead
// of at the next poll. A black-holed network does not close it; the poll
// (bounded by timeouts) covers that case.
type sentinel struct {
	mu     sync.Mutex
	addr   string
	cancel context.CancelFunc
	done   chan struct{}
}

// watch makes the sentinel follow the snapshot's primary: it restarts when
// the primary moved or the previous watch ended.
func (s *server) watch(ctx context.Context, snap *observation.Snapshot) {
	p := snap.PrimaryMember()
	st := &s.sentinel
	st.mu.Lock()
	defer st.mu.Unlock()
	running := st.done != nil && !closed(st.done)
	if p != nil && running && st.addr == p.Addr() {
		return
	}
	if st.cancel != nil {
		st.cancel()
	}
	st.addr, st.cancel, st.done = "", nil, nil
	if p == nil {
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	st.addr, st.cancel, st.done = p.Addr(), cancel, make(chan struct{})
	go s.hold(wctx, p.Endpoint, st.done)
}

func (s *server) hold(ctx context.Context, ep observation.Endpoint, done chan struct{}) {
	defer close(done)
	cfg, err := s.connConfig(ep)
	if err != nil {
		return // the server was removed meanwhile
	}
	conn, err := postgres.Connect(ctx, cfg)
	if err != nil {
		// The primary the last poll saw does not answer: probe again soon.
		select {
		case <-ctx.Done():
		case <-time.After(minRetry):
			s.refresh()
		}
		return
	}
	defer conn.Close(context.Background())
	// No LISTEN is needed: the wait returns on any server message or when
	// the connection breaks, and an idle session receives none otherwise.
	err = conn.PgConn().WaitForNotification(ctx)
	if ctx.Err() == nil && err != nil {
		s.refresh()
	}
}

func (s *server) stopSentinel() {
	st := &s.sentinel
	st.mu.Lock()
	cancel, done := st.cancel, st.done
	st.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
