package metrics

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// seen remembers, per object, the label set and invalidation reason last
// published, so a change of slot name, server or reason removes exactly the
// outdated series.
var seen = &seenObjects{last: map[[2]string]seenEntry{}}

type seenObjects struct {
	mu   sync.Mutex
	last map[[2]string]seenEntry
}

type seenEntry struct {
	labels prometheus.Labels
	reason string
}

// swap records the new labels and reason and returns the label set whose
// series are now outdated (nil when none are).
func (s *seenObjects) swap(namespace, name string, l prometheus.Labels, reason string) prometheus.Labels {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := [2]string{namespace, name}
	prev, ok := s.last[key]
	s.last[key] = seenEntry{labels: maps.Clone(l), reason: reason}
	switch {
	case !ok:
		return nil
	case !maps.Equal(prev.labels, l):
		return prev.labels
	case prev.reason != "" && prev.reason != reason:
		slotInvalid.Delete(with(prev.labels, "reason", prev.reason))
	}
	return nil
}

func (s *seenObjects) drop(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last, [2]string{namespace, name})
}
