package metrics

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// statusCounter exports a counter whose value lives in an object's status
// (status.recreations, status.failovers): it survives operator restarts and
// leader changes, which an in-process counter would not.
type statusCounter struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	vals map[string]counterValue
}

type counterValue struct {
	labels []string
	value  float64
}

func newStatusCounter(name, help string, labels ...string) *statusCounter {
	names = append(names, name)
	return &statusCounter{desc: prometheus.NewDesc(name, help, labels, nil), vals: map[string]counterValue{}}
}

func (c *statusCounter) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *statusCounter) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.vals {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, v.value, v.labels...)
	}
}

// set records the value for one label set (in declaration order).
func (c *statusCounter) set(value float64, labels ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vals[strings.Join(labels, "\x00")] = counterValue{labels: labels, value: value}
}

// deletePrefix forgets every series whose leading labels equal prefix.
func (c *statusCounter) deletePrefix(prefix ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.vals {
		if len(v.labels) >= len(prefix) && equal(v.labels[:len(prefix)], prefix) {
			delete(c.vals, k)
		}
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
