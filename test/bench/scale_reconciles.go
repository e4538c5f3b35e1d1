package main

import (
	"context"
	"fmt"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// How the operator's time went while a batch ran, from controller-runtime's
// own metrics on the operator's metrics endpoint: reconciles per
// controller, and for the slot controller how long items waited in the
// work queue and how long a reconcile took.

// controllerStats are counters of one controller at one moment.
type controllerStats struct {
	Reconciles float64
	WorkSum    float64 // seconds spent in reconciles
	WorkCount  float64
	QueueSum   float64 // seconds items waited in the queue
	QueueCount float64
}

func (s controllerStats) sub(b controllerStats) controllerStats {
	return controllerStats{s.Reconciles - b.Reconciles, s.WorkSum - b.WorkSum, s.WorkCount - b.WorkCount,
		s.QueueSum - b.QueueSum, s.QueueCount - b.QueueCount}
}

// meanWork and meanQueue are the mean reconcile time and queue wait.
func (s controllerStats) meanWork() time.Duration  { return perCall(s.WorkSum, s.WorkCount) }
func (s controllerStats) meanQueue() time.Duration { return perCall(s.QueueSum, s.QueueCount) }

func perCall(sum, n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(sum / n * float64(time.Second))
}

// scrapeControllers reads the operator's metrics: per controller name
// (replicationslot, postgresserver). A failed scrape gives an empty map.
func scrapeControllers(ctx context.Context, addr string) map[string]controllerStats {
	out := map[string]controllerStats{}
	families := scrapeOperator(ctx, addr)
	add := func(family, label string, f func(*controllerStats, *dto.Metric)) {
		for _, m := range families[family].GetMetric() {
			name := labelOf(m, label)
			s := out[name]
			f(&s, m)
			out[name] = s
		}
	}
	add("controller_runtime_reconcile_total", "controller", func(s *controllerStats, m *dto.Metric) {
		s.Reconciles += m.GetCounter().GetValue()
	})
	add("workqueue_work_duration_seconds", "name", func(s *controllerStats, m *dto.Metric) {
		s.WorkSum, s.WorkCount = m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())
	})
	add("workqueue_queue_duration_seconds", "name", func(s *controllerStats, m *dto.Metric) {
		s.QueueSum, s.QueueCount = m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())
	})
	return out
}

func labelOf(m *dto.Metric, name string) string {
	for _, p := range m.GetLabel() {
		if p.GetName() == name {
			return p.GetValue()
		}
	}
	return ""
}

func subControllers(after, before map[string]controllerStats) map[string]controllerStats {
	out := map[string]controllerStats{}
	for k, v := range after {
		out[k] = v.sub(before[k])
	}
	return out
}

// reconcileLine summarises the slot and server controllers' work.
func reconcileLine(c map[string]controllerStats) string {
	rs, ps := c["replicationslot"], c["postgresserver"]
	return fmt.Sprintf("slot reconciles %.0f (mean %s, queue wait %s), server reconciles %.0f",
		rs.Reconciles, rs.meanWork().Round(time.Millisecond), rs.meanQueue().Round(time.Millisecond), ps.Reconciles)
}
