package monitor

import (
	"context"
	"maps"
	"reflect"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Backoff after losing the primary: re-probe fast, since a failover or a
// restart is usually over within seconds.
const (
	minRetry = 100 * time.Millisecond
	maxRetry = time.Second
)

// server is the monitor of one PostgresServer.
type server struct {
	key types.NamespacedName
	mgr *Manager

	mu     sync.Mutex
	cfg    Config
	snap   *observation.Snapshot
	cancel context.CancelFunc
	done   chan struct{}
	// wake asks for a poll at once (the sentinel broke, the configuration
	// changed); soon for one no sooner than refreshGap after the last
	// (an action of the operator's changed a slot).
	wake, soon chan struct{}

	sentinel sentinel
	// lastConfirmed keeps each slot's latest confirmed_flush_lsn from the
	// primary, beyond the snapshot that lost it: after a failover it holds
	// the last position the old primary confirmed, fresher than any status
	// write. Only that figure of the row is ever read, so only it is kept;
	// a slot whose latest row had none has no entry.
	lastConfirmed map[string]postgres.LSN
	// primaryTimeline is the timeline of the primary lastConfirmed comes
	// from. When a promotion changes it, the positions confirmed on the
	// old timeline move to beforeFork (kept until the next promotion): a
	// slot that survived on the new primary through a copy reports its
	// own, older position there, and the old one decides whether the
	// consumer got ahead of the new primary.
	primaryTimeline int64
	beforeFork      map[string]postgres.LSN
	beforeTimeline  int64
	// progress tracks, per slot on the primary, since when its consumer
	// position has stood still.
	progress map[string]progressMark
	// managed is the slot names ReplicationSlots own, as the server
	// reconcile last counted them (SetManaged): the unmanaged budget's wake
	// judges the same slots as the status.
	managed map[string]bool
}

func newServer(key types.NamespacedName, cfg Config, mgr *Manager) *server {
	return &server{key: key, cfg: cfg, mgr: mgr, wake: make(chan struct{}, 1), soon: make(chan struct{}, 1),
		lastConfirmed: map[string]postgres.LSN{},
		progress:      map[string]progressMark{}}
}

func (s *server) start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.run(ctx)
}

func (s *server) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

// setConfig stores a new configuration and reports whether it changed.
func (s *server) setConfig(cfg Config) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reflect.DeepEqual(s.cfg, cfg) {
		return false
	}
	s.cfg = cfg
	return true
}

func (s *server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

func (s *server) latest() *observation.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

// lastConfirmedOf is the latest confirmed_flush_lsn seen for a slot on a
// primary; ok is false when none was.
func (s *server) lastConfirmedOf(name string) (postgres.LSN, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lsn, ok := s.lastConfirmed[name]
	return lsn, ok
}

// connConfig is the connection configuration for one member's
// maintenance database, from the connection registry.
func (s *server) connConfig(member observation.Endpoint) (postgres.ConnConfig, error) {
	c, ok := s.mgr.conns.ConnConfig(s.key, member, "")
	if !ok {
		return c, connections.ErrUnknownServer
	}
	return c, nil
}

// run polls until ctx ends. Without a usable primary it re-probes with a
// short, growing backoff instead of waiting for the next poll.
func (s *server) run(ctx context.Context) {
	defer close(s.done)
	defer s.stopSentinel()
	retry := minRetry
	for {
		began := time.Now()
		snap := s.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		s.publish(ctx, snap)
		s.watch(ctx, snap)
		wait := s.config().PollInterval
		if snap.PrimaryMember() == nil {
			wait, retry = retry, min(retry*2, maxRetry)
		} else {
			retry = minRetry
		}
		if !s.sleep(ctx, wait, began) {
			return
		}
	}
}

// publish stores the snapshot and wakes the objects whose view changed.
func (s *server) publish(ctx context.Context, snap *observation.Snapshot) {
	// The fingerprint is built outside the lock: it walks every slot, and
	// readers of the snapshot would wait on it.
	s.mu.Lock()
	budget, managed := s.cfg.UnmanagedBudget, s.managed
	s.mu.Unlock()
	snap.Fingerprint = serverFingerprint(snap) + overBudgetMark(snap, budget, managed)
	s.mu.Lock()
	prev := s.snap
	if prev != nil {
		snap.Seq = prev.Seq + 1
	}
	s.snap = snap
	if p := snap.PrimaryMember(); p != nil {
		s.noteTimeline(p.Identity.Timeline)
		for name, row := range p.Slots {
			if row.ConfirmedFlushLSN != nil {
				s.lastConfirmed[name] = *row.ConfirmedFlushLSN
			} else {
				delete(s.lastConfirmed, name)
			}
		}
		if anyAbsent(s.lastConfirmed, p.Slots) {
			// Only then is the tracker (every object of every server)
			// worth walking: on a quiet poll nothing has left.
			pruneConfirmed(s.lastConfirmed, p.Slots, s.mgr.tracker.watchers(s.key))
		}
		s.noteProgress(p, snap.At)
	}
	s.markStale(snap)
	s.mu.Unlock()
	s.mgr.notify(ctx, s.key, prev, snap)
}

// noteTimeline keeps the positions confirmed on the old timeline when the
// primary's timeline changes. Called with s.mu held.
func (s *server) noteTimeline(tl int64) {
	if s.primaryTimeline != 0 && tl != s.primaryTimeline {
		s.beforeFork, s.beforeTimeline = maps.Clone(s.lastConfirmed), s.primaryTimeline
	}
	s.primaryTimeline = tl
}

// confirmedBefore is the last position confirmed for a slot on timeline tl
// before the promotion that ended it.
func (s *server) confirmedBefore(name string, tl int64) (postgres.LSN, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.beforeTimeline != tl {
		return 0, false
	}
	lsn, ok := s.beforeFork[name]
	return lsn, ok
}
