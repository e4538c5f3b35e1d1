package helm_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const (
	dashboardConfig = "config/grafana/slotkeeper-dashboard.json"
	dashboardChart  = "charts/slotkeeper/files/grafana-dashboard.json"
	dashboardKey    = "slotkeeper-dashboard.json"
)

// TestDashboardFileMatchesConfig needs no tools, so even go test -short
// catches a chart whose dashboard fell behind config/grafana.
func TestDashboardFileMatchesConfig(t *testing.T) {
	chart, config := readRepoFile(t, ".", dashboardChart), readRepoFile(t, ".", dashboardConfig)
	if !bytes.Equal(chart, config) {
		t.Errorf("%s differs from %s (re-sync: cp %[2]s %[1]s)", dashboardChart, dashboardConfig)
	}
}

func TestGrafanaDashboardOffByDefault(t *testing.T) {
	needHelm(t)
	for _, m := range renderChart(t) {
		if m.Kind == "ConfigMap" {
			t.Errorf("ConfigMap %s rendered by default: the dashboard is opt-in (grafanaDashboard.enabled)", m.Name)
		}
	}
}

// TestGrafanaDashboardEnabled: the ConfigMap carries the label the Grafana
// sidecar looks for by default, and the JSON of config/grafana unchanged
// (its {{ label }} legends must pass through Helm untouched).
func TestGrafanaDashboardEnabled(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", "grafanaDashboard.enabled=true")
	wantLabels(t, r)
	cm := dashboardConfigMap(t, r)
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("labels %v: want grafana_dashboard=1, the sidecar's default", cm.Labels)
	}
	if len(cm.Annotations) > 0 {
		t.Errorf("annotations %v without grafanaDashboard.folder", cm.Annotations)
	}
	wantDashboardJSON(t, cm)
}

func TestGrafanaDashboardCustom(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "-f", filepath.Join("testdata", "grafana-values.yaml"))
	cm := dashboardConfigMap(t, r)
	if cm.Namespace != "monitoring" {
		t.Errorf("namespace %q, want monitoring", cm.Namespace)
	}
	if cm.Labels["example.com/dashboard"] != "slotkeeper" || cm.Labels["release"] != "grafana" {
		t.Errorf("labels %v: want example.com/dashboard=slotkeeper and release=grafana", cm.Labels)
	}
	if _, ok := cm.Labels["grafana_dashboard"]; ok {
		t.Errorf("labels %v: the default sidecar label is still there", cm.Labels)
	}
	if got := cm.Annotations["k8s-sidecar-target-directory"]; got != "Databases" {
		t.Errorf("annotations %v: want k8s-sidecar-target-directory=Databases", cm.Annotations)
	}
	wantDashboardJSON(t, cm)
}

func dashboardConfigMap(t *testing.T, r rendered) corev1.ConfigMap {
	t.Helper()
	var cm corev1.ConfigMap
	decodeInto(t, r.one(t, "ConfigMap"), &cm)
	if cm.Name != release+"-grafana-dashboard" {
		t.Errorf("ConfigMap name %q, want %s-grafana-dashboard", cm.Name, release)
	}
	return cm
}

// wantDashboardJSON: the data is valid JSON and the same model as
// config/grafana's file.
func wantDashboardJSON(t *testing.T, cm corev1.ConfigMap) {
	t.Helper()
	if len(cm.Data) != 1 {
		t.Errorf("data keys %d, want only %s", len(cm.Data), dashboardKey)
	}
	var got, want any
	if err := json.Unmarshal([]byte(cm.Data[dashboardKey]), &got); err != nil {
		t.Fatalf("data[%s] is not JSON: %v", dashboardKey, err)
	}
	if err := json.Unmarshal(readRepoFile(t, ".", dashboardConfig), &want); err != nil {
		t.Fatal(err)
	}
	wantSame(t, "rendered dashboard vs "+dashboardConfig, got, want)
}
