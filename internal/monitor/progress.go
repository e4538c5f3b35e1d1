package monitor

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
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
