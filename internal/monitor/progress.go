package monitor

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// progressMark is where a slot's consumer had confirmed up to, and since
// when it has stood there: a consumer that answers keepalives but never
// confirms anything looks alive to PostgreSQL and stale to us.
type progressMark struct {
	at    postgres.LSN
	since time.Time
}

// noteProgress updates the marks from a primary's slots; s.mu is held.
func (s *server) noteProgress(p *observation.Member, at time.Time) {
	for name, row := range p.Slots {
		lsn := row.ConsumerPosition()
		if lsn == nil {
			delete(s.progress, name)
			continue
		}
		if m, seen := s.progress[name]; !seen || m.at != *lsn {
			s.progress[name] = progressMark{at: *lsn, since: at}
		}
	}
	for name := range s.progress {
		if _, ok := p.Slots[name]; !ok {
			delete(s.progress, name)
		}
	}
}

// LastProgress returns since when a slot's consumer position has not
// moved, as far as this process has watched it; ok is false when unknown.
func (m *Manager) LastProgress(key types.NamespacedName, slot string) (time.Time, bool) {
	s := m.server(key)
	if s == nil {
		return time.Time{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mark, ok := s.progress[slot]
	return mark.since, ok
}

// markStale records, on each member of the snapshot, the slots whose holder
// looks stale at this poll, judged as the reconcile judges it
// (status.LooksStale) with since when each consumer has stood still. The
// verdict changes only at a moment (a quiet consumer passing
// wal_sender_timeout, or coming back), and is part of the slot's
// fingerprint: the object is woken within one poll of it, where only its
// periodic refresh would have looked again. s.mu is held, after
// noteProgress.
func (s *server) markStale(snap *observation.Snapshot) {
	for i := range snap.Members {
		m := &snap.Members[i]
		if m.Identity == nil {
			continue
		}
		for name, row := range m.Slots {
			if !row.Active {
				continue
			}
			if status.LooksStale(status.HolderInputsOf(m, &row, s.progress[name].since, snap.At)) {
				if m.StaleHolders == nil {
					m.StaleHolders = map[string]bool{}
				}
				m.StaleHolders[name] = true
			}
		}
	}
}
