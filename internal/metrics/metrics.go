// Package metrics exports live slot figures to Prometheus through the
// controller-runtime registry (served on the manager's /metrics). Status
// carries the same figures only every 30 s; alerts belong here.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var slotLabels = []string{"namespace", "name", "slot", "server"}

var (
	slotReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slotkeeper_slot_ready", Help: "1 when the ReplicationSlot's Ready condition is True.",
	}, slotLabels)
	slotActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slotkeeper_slot_active", Help: "1 when a consumer holds the slot.",
	}, slotLabels)
	slotRetained = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slotkeeper_slot_retained_wal_bytes", Help: "WAL the slot keeps on the server (current WAL position minus restart_lsn).",
	}, slotLabels)
	slotBudget = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slotkeeper_slot_wal_budget_bytes", Help: "spec.maxRetainedWAL of the slot, when set.",
	}, slotLabels)
	slotDataGap = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slotkeeper_slot_data_gap", Help: "1 while the slot has an unacknowledged data gap.",
	}, slotLabels)
	slotRecreations = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slotkeeper_slot_recreations", Help: "How often slotkeeper had to recreate the slot.",
	}, slotLabels)
)

func init() {
	metrics.Registry.MustRegister(slotReady, slotActive, slotRetained, slotBudget, slotDataGap, slotRecreations)
}

// Slot is one ReplicationSlot's figures.
type Slot struct {
	Namespace, Name, SlotName, Server string
	Ready, Active, DataGap            bool
	RetainedBytes, BudgetBytes        *int64
	Recreations                       int32
}

// SetSlot publishes a slot's figures.
func SetSlot(s Slot) {
	l := prometheus.Labels{"namespace": s.Namespace, "name": s.Name, "slot": s.SlotName, "server": s.Server}
	slotReady.With(l).Set(b2f(s.Ready))
	slotActive.With(l).Set(b2f(s.Active))
	slotDataGap.With(l).Set(b2f(s.DataGap))
	slotRecreations.With(l).Set(float64(s.Recreations))
	setOptional(slotRetained, l, s.RetainedBytes)
	setOptional(slotBudget, l, s.BudgetBytes)
}

// DeleteSlot forgets every series of a ReplicationSlot.
func DeleteSlot(namespace, name string) {
	l := prometheus.Labels{"namespace": namespace, "name": name}
	for _, v := range []*prometheus.GaugeVec{slotReady, slotActive, slotRetained, slotBudget, slotDataGap, slotRecreations} {
		v.DeletePartialMatch(l)
	}
}

func setOptional(v *prometheus.GaugeVec, l prometheus.Labels, p *int64) {
	if p == nil {
		v.Delete(l)
		return
	}
	v.With(l).Set(float64(*p))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
