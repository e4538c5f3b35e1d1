package helm_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// object is a decoded document of a kind without Go types in go.mod (the
// Prometheus Operator's).
type object map[string]any

// configObject returns the document of a kind from a file of the
// repository, which may hold several.
func configObject(t *testing.T, path, kind string) object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return toObject(t, splitManifests(t, data).one(t, kind))
}

func toObject(t *testing.T, m manifest) object {
	t.Helper()
	var o object
	if err := json.Unmarshal(m.JSON, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// field walks nested maps; nil when a key is missing.
func (o object) field(keys ...string) any {
	var v any = map[string]any(o)
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// configRuleSpec is the spec of the PrometheusRule in config/prometheus; the
// alerts are not hard-coded here so that file can change freely.
func configRuleSpec(t *testing.T) any {
	t.Helper()
	spec := configObject(t, "config/prometheus/rules.yaml", "PrometheusRule").field("spec")
	if spec == nil {
		t.Fatal("config/prometheus/rules.yaml: PrometheusRule has no spec")
	}
	return spec
}

// TestRulesFileMatchesConfig needs no tools, so even go test -short catches
// a chart whose alerts fell behind config/prometheus/rules.yaml.
func TestRulesFileMatchesConfig(t *testing.T) {
	var file object
	decodeFile(t, "charts/slotkeeper/files/prometheus-rules.yaml", &file)
	wantSame(t, "the specs of charts/slotkeeper/files/prometheus-rules.yaml and config/prometheus/rules.yaml "+
		"(re-sync: see charts/slotkeeper/README.md)", file.field("spec"), configRuleSpec(t))
}

// TestMonitoringMatchesConfig checks what the templates make of the rules
// file (Prometheus' own {{ }} templates must pass through Helm untouched)
// and that the ServiceMonitor scrapes like config/prometheus/monitor.yaml.
func TestMonitoringMatchesConfig(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true")
	wantLabels(t, r)
	rule := toObject(t, r.one(t, "PrometheusRule"))
	wantSame(t, "rendered PrometheusRule spec", rule.field("spec"), configRuleSpec(t))
	monitor := toObject(t, r.one(t, "ServiceMonitor"))
	config := configObject(t, "config/prometheus/monitor.yaml", "ServiceMonitor")
	wantSame(t, "ServiceMonitor endpoints", monitor.field("spec", "endpoints"), config.field("spec", "endpoints"))
}

// wantMonitoring checks the monitoring values of testdata/custom-values.yaml.
func wantMonitoring(t *testing.T, r rendered) {
	t.Helper()
	d, _ := deployment(t, r)
	monitor := toObject(t, r.one(t, "ServiceMonitor"))
	rule := toObject(t, r.one(t, "PrometheusRule"))
	for _, o := range []object{monitor, rule} {
		if got := o.field("metadata", "labels", "release"); got != "prometheus" {
			t.Errorf("%s: additional label release=%v, want prometheus", o.field("kind"), got)
		}
	}
	wantSame(t, "ServiceMonitor selector", monitor.field("spec", "selector", "matchLabels"), d.Spec.Selector.MatchLabels)
	endpoints, _ := monitor.field("spec", "endpoints").([]any)
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %v, want one", endpoints)
	}
	ep, _ := endpoints[0].(map[string]any)
	if ep["interval"] != "15s" || ep["honorLabels"] != true || ep["port"] != "https-metrics" || ep["scheme"] != "https" {
		t.Errorf("ServiceMonitor endpoint %v: want port https-metrics, scheme https, interval 15s, honorLabels", ep)
	}
}
