package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// poll probes every member in parallel: identity, then all its slots in one
// query.
func (s *server) poll(ctx context.Context) *observation.Snapshot {
	cfg := s.config()
	at, members := time.Now(), make([]observation.Member, len(cfg.Members))
	var wg sync.WaitGroup
	for i, ep := range cfg.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			members[i] = s.probe(ctx, ep)
			members[i].Pod = cfg.Pods[ep]
			metrics.ObserveProbe(s.key.Namespace, s.key.Name, ep.Addr(), time.Since(start))
		}()
	}
	wg.Wait()
	return observation.NewSnapshot(at, cfg.SystemIdentifier, members)
}

func (s *server) probe(ctx context.Context, ep observation.Endpoint) observation.Member {
	m := observation.Member{Endpoint: ep}
	// Bounded by the server's connect timeout, so a black-holed member
	// cannot delay the observation of the others for longer.
	bound := s.config().Conn.Timeout()
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	pool, err := s.mgr.conns.Pool(ctx, s.key, ep, "")
	if err != nil {
		m.Err = probeError(ctx, err, bound)
		return m
	}
	id, err := postgres.Identify(ctx, pool)
	if err != nil {
		m.Err = probeError(ctx, err, bound)
		return m
	}
	m.Identity = &id
	slots, err := postgres.ListSlots(ctx, pool, id.VersionNum)
	if err != nil {
		m.SlotsErr = probeError(ctx, err, bound)
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

// probeError classifies a probe's failure and, when the probe ran out of
// time, says which bound it was: a slow link and a black hole look alike
// from here, and the message must point at the setting that tells them
// apart.
func probeError(ctx context.Context, err error, bound time.Duration) *postgres.Error {
	e := postgres.Classify(err)
	if e.Reason != postgres.ReasonServerUnavailable || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return e
	}
	return &postgres.Error{Reason: e.Reason, Transient: true, Err: err,
		Message: fmt.Sprintf("no answer within %v (spec.connectTimeout; raise it for a slow link): %s", bound, e.Message)}
}
