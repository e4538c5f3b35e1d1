package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// probeTimeout bounds one member's probe, so a black-holed member cannot
// delay the observation of the others.
const probeTimeout = 5 * time.Second

// poll probes every member in parallel: identity, then all its slots in one
// query.
func (s *server) poll(ctx context.Context) *Snapshot {
	cfg := s.config()
	snap := &Snapshot{At: time.Now(), Members: make([]Member, len(cfg.Members))}
	var wg sync.WaitGroup
	for i, ep := range cfg.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			snap.Members[i] = s.probe(ctx, ep)
			metrics.ObserveProbe(s.key.Namespace, s.key.Name, ep.Addr(), time.Since(start))
		}()
	}
	wg.Wait()
	snap.choosePrimary(cfg.SystemIdentifier)
	return snap
}

func (s *server) probe(ctx context.Context, ep Endpoint) Member {
	m := Member{Endpoint: ep}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	pool, err := s.pool(ctx, ep, "")
	if err != nil {
		m.Err = postgres.Classify(err)
		return m
	}
	id, err := postgres.Identify(ctx, pool)
	if err != nil {
		m.Err = postgres.Classify(err)
		return m
	}
	m.Identity = &id
	slots, err := postgres.ListSlots(ctx, pool, id.VersionNum)
	if err != nil {
		m.SlotsErr = postgres.Classify(err)
		if m.SlotsErr.Transient {
			// The member went away between the two queries (a shutdown,
			// say): it is unreachable, not a primary without slots.
			m.Identity, m.Err = nil, m.SlotsErr
		}
		return m
	}
	m.Slots = make(map[string]postgres.Slot, len(slots))
	for _, sl := range slots {
		m.Slots[sl.Name] = sl
	}
	return m
}
