package main

import (
	"bytes"
	"context"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// apiWrite is the number of write requests of one kind kube-apiserver
// served, from its own apiserver_request_total counter.
type apiWrite struct {
	Group, Resource, Subresource, Verb, Code string
	Count                                    float64
}

func (w apiWrite) key() string {
	return strings.Join([]string{w.Group, w.Resource, w.Subresource, w.Verb, w.Code}, "|")
}

// writeVerbs are the verbs that change objects.
var writeVerbs = []string{"POST", "PUT", "PATCH", "DELETE", "APPLY"}

// scrapeWrites reads kube-apiserver's /metrics as the admin and returns the
// write counters. The apiserver counts every client's requests, so this is
// taken on an apiserver only this scenario uses.
func scrapeWrites(ctx context.Context, cs *kubernetes.Clientset) (map[string]apiWrite, error) {
	families, err := apiserverMetrics(ctx, cs)
	if err != nil {
		return nil, err
	}
	out := map[string]apiWrite{}
	mf := families["apiserver_request_total"]
	if mf == nil {
		return out, nil
	}
	for _, m := range mf.GetMetric() {
		w, dryRun := writeOf(m)
		// A dry run changes nothing (the rig's check that the finalizer
		// policy is in force makes some); its series has the same key.
		if slices.Contains(writeVerbs, w.Verb) && !dryRun {
			out[w.key()] = w
		}
	}
	return out, nil
}

func writeOf(m *dto.Metric) (w apiWrite, dryRun bool) {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return apiWrite{Group: l["group"], Resource: l["resource"], Subresource: l["subresource"],
		Verb: l["verb"], Code: l["code"], Count: m.GetCounter().GetValue()}, l["dry_run"] != ""
}

// diffWrites returns the requests served between two scrapes, sorted.
func diffWrites(before, after map[string]apiWrite) []apiWrite {
	var out []apiWrite
	for k, w := range after {
		w.Count -= before[k].Count
		if w.Count > 0 {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b apiWrite) int { return strings.Compare(a.key(), b.key()) })
	return out
}

// apiserverMetrics reads and parses kube-apiserver's /metrics as the admin.
func apiserverMetrics(ctx context.Context, cs *kubernetes.Clientset) (map[string]*dto.MetricFamily, error) {
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(raw))
}
