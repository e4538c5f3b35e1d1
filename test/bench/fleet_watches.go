package main

import (
	"context"

	"k8s.io/client-go/kubernetes"
)

// apiWatches reads how many WATCH requests kube-apiserver is serving, by
// resource (apiserver_longrunning_requests). kube-apiserver watches
// itself too, so the caller subtracts what it served before the operator
// started; in the idle window the benchmark holds none and envtest runs
// no controller-manager, so the rest are the operator's informers: the
// figure that would grow per namespace, not per server, if operators were
// scoped with --watch-namespaces.
func apiWatches(ctx context.Context, cs *kubernetes.Clientset) (map[string]float64, error) {
	families, err := apiserverMetrics(ctx, cs)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, m := range families["apiserver_longrunning_requests"].GetMetric() {
		if labelOf(m, "verb") != "WATCH" {
			continue
		}
		res := labelOf(m, "resource")
		if g := labelOf(m, "group"); g != "" {
			res += "." + g
		}
		if n := m.GetGauge().GetValue(); n > 0 {
			out[res] += n
		}
	}
	return out, nil
}

// operatorWatches are the WATCH requests kube-apiserver serves now beyond
// those it served before the operator started.
func (r *fleetRig) operatorWatches(ctx context.Context) (map[string]float64, error) {
	w, err := apiWatches(ctx, r.cs)
	if err != nil {
		return nil, err
	}
	for k, n := range r.baseWatches {
		if w[k] -= n; w[k] <= 0 {
			delete(w, k)
		}
	}
	return w, nil
}
