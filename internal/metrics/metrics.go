// Package metrics exports live slot figures to Prometheus through the
// controller-runtime registry (served on the manager's /metrics). Status
// carries the same figures only every 30 s; alerts belong here.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var slotLabels = []string{"namespace", "name", "slot", "server"}

func slotGauge(name, help string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, slotLabels)
}

var (
	slotReady       = slotGauge("slotkeeper_slot_ready", "1 when the ReplicationSlot's Ready condition is True.")
	slotActive      = slotGauge("slotkeeper_slot_active", "1 when a consumer holds the slot.")
	slotRetained    = slotGauge("slotkeeper_slot_retained_wal_bytes", "WAL the slot keeps on the server (current WAL position minus restart_lsn).")
	slotBudget      = slotGauge("slotkeeper_slot_wal_budget_bytes", "spec.maxRetainedWAL of the slot, when set.")
	slotDataGap     = slotGauge("slotkeeper_slot_data_gap", "1 while the slot has an unacknowledged data gap.")
	slotRecreations = slotGauge("slotkeeper_slot_recreations", "How often slotkeeper had to recreate the slot.")
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
