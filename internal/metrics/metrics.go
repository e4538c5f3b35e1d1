// Package metrics exports live slot and server figures to Prometheus through
// the controller-runtime registry (served on the manager's /metrics). Status
// carries the same figures only every 30 s; alerts belong here. The names
// are a contract with config/prometheus/rules.yaml and docs/metrics.md.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Label sets. Slot series join server series on (namespace, server).
var (
	slotLabels   = []string{"namespace", "name", "slot", "server"}
	serverLabels = []string{"namespace", "server"}
	memberLabels = []string{"namespace", "server", "member"}
)

// names lists every metric family as it is declared, for Names.
var names []string

func gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	names = append(names, name)
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
}

func register(cs ...prometheus.Collector) {
	metrics.Registry.MustRegister(cs...)
}

func init() {
	register(slots)
	register(serverUp, memberUp, memberPrimary, serverTimeline, serverFailovers, unmanagedSlots,
		unmanagedRetained, unmanagedBudget, probeDuration)
}

// Names lists the name of every metric family the operator exports (the
// _bucket/_sum/_count series of histograms are under their base name).
func Names() []string {
	return append([]string(nil), names...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
