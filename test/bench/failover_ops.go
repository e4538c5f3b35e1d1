package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Where the operator's time went in a failover recovery, from
// controller-runtime's and client-go's own metrics. The failover scenarios
// run the controllers in this process, so they are read from the
// in-process registry rather than scraped (scale_reconciles.go scrapes the
// operator binary).

// opsStats are counters of the in-process operator at one moment, or their
// growth over a span.
type opsStats struct {
	Slot, Server controllerStats
	Results      map[string]float64 // slot reconciles by result: success, error, requeue, requeue_after
	Requests     map[string]float64 // client-go requests to kube-apiserver by method
	ReqSum       float64            // seconds those requests took
	ReqCount     float64
	ThrottleSum  float64 // seconds they waited in client-go's rate limiter
	Adds         float64 // items added to the slot controller's work queue
	Probes       float64 // the monitor's probes of a member (identity plus the slot query)
	ProbeSum     float64 // seconds they took
}

// enableRESTMetrics turns on client-go's request and rate-limiter latency
// metrics, which controller-runtime leaves off by default; in this process
// only, not in the operator.
func enableRESTMetrics() {
	ctrlmetrics.RegisterRESTClientMetrics(ctrlmetrics.MetricRequestLatency, ctrlmetrics.MetricRateLimiterLatency)
}

func gatherOps() opsStats {
	o := opsStats{Results: map[string]float64{}, Requests: map[string]float64{}}
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return o
	}
	by := map[string]*dto.MetricFamily{}
	for _, f := range families {
		by[f.GetName()] = f
	}
	ctl := controllersOf(by)
	o.Slot, o.Server = ctl["replicationslot"], ctl["postgresserver"]
	for _, m := range by["controller_runtime_reconcile_total"].GetMetric() {
		if labelOf(m, "controller") == "replicationslot" {
			o.Results[labelOf(m, "result")] += m.GetCounter().GetValue()
		}
	}
	for _, m := range by["rest_client_requests_total"].GetMetric() {
		o.Requests[labelOf(m, "method")] += m.GetCounter().GetValue()
	}
	for _, m := range by["rest_client_request_duration_seconds"].GetMetric() {
		o.ReqSum += m.GetHistogram().GetSampleSum()
		o.ReqCount += float64(m.GetHistogram().GetSampleCount())
	}
	for _, m := range by["rest_client_rate_limiter_duration_seconds"].GetMetric() {
		o.ThrottleSum += m.GetHistogram().GetSampleSum()
	}
	for _, m := range by["workqueue_adds_total"].GetMetric() {
		if labelOf(m, "name") == "replicationslot" {
			o.Adds += m.GetCounter().GetValue()
		}
	}
	for _, m := range by["slotkeeper_server_probe_duration_seconds"].GetMetric() {
		o.Probes += float64(m.GetHistogram().GetSampleCount())
		o.ProbeSum += m.GetHistogram().GetSampleSum()
	}
	return o
}

// controllersOf is scrapeControllers' reading of the same families, per
// controller name.
func controllersOf(by map[string]*dto.MetricFamily) map[string]controllerStats {
	out := map[string]controllerStats{}
	for _, m := range by["controller_runtime_reconcile_total"].GetMetric() {
		s := out[labelOf(m, "controller")]
		s.Reconciles += m.GetCounter().GetValue()
		out[labelOf(m, "controller")] = s
	}
	for _, m := range by["workqueue_work_duration_seconds"].GetMetric() {
		s := out[labelOf(m, "name")]
		s.WorkSum, s.WorkCount = m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())
		out[labelOf(m, "name")] = s
	}
	for _, m := range by["workqueue_queue_duration_seconds"].GetMetric() {
		s := out[labelOf(m, "name")]
		s.QueueSum, s.QueueCount = m.GetHistogram().GetSampleSum(), float64(m.GetHistogram().GetSampleCount())
		out[labelOf(m, "name")] = s
	}
	return out
}

func (o opsStats) sub(b opsStats) opsStats {
	d := opsStats{Slot: o.Slot.sub(b.Slot), Server: o.Server.sub(b.Server), Results: map[string]float64{}, Requests: map[string]float64{},
		ReqSum: o.ReqSum - b.ReqSum, ReqCount: o.ReqCount - b.ReqCount, ThrottleSum: o.ThrottleSum - b.ThrottleSum,
		Adds: o.Adds - b.Adds, Probes: o.Probes - b.Probes, ProbeSum: o.ProbeSum - b.ProbeSum}
	for k, v := range o.Results {
		if v -= b.Results[k]; v != 0 {
			d.Results[k] = v
		}
	}
	for k, v := range o.Requests {
		if v -= b.Requests[k]; v != 0 {
			d.Requests[k] = v
		}
	}
	return d
}

// counts renders a map of counters as "k n, k n" in key order.
func counts(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

// line summarises a recovery's work for the console.
func (o opsStats) line(slots int) string {
	return fmt.Sprintf("slot reconciles %.0f (%.1f per slot; %s; queue adds %.0f), mean %s, queue wait %s; server reconciles %.0f, probes %.0f (mean %s); API requests %s (mean %s, throttled %s in all)",
		o.Slot.Reconciles, o.Slot.Reconciles/float64(max(slots, 1)), counts(o.Results), o.Adds, o.Slot.meanWork().Round(time.Millisecond),
		o.Slot.meanQueue().Round(time.Millisecond), o.Server.Reconciles, o.Probes, perCall(o.ProbeSum, o.Probes).Round(time.Millisecond), counts(o.Requests),
		perCall(o.ReqSum, o.ReqCount).Round(time.Millisecond), (time.Duration(o.ThrottleSum * float64(time.Second))).Round(time.Millisecond))
}
