package promrules_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/slotkeeper/slotkeeper/internal/metrics"
)

var metricName = regexp.MustCompile(`slotkeeper_[a-z0-9_]+`)

// seriesName is the metric name at the start of an input series.
var seriesName = regexp.MustCompile(`^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)

func TestExprsUseExportedMetrics(t *testing.T) {
	known := knownNames(t)
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			for _, name := range metricName.FindAllString(r.Expr, -1) {
				if !known[name] {
					t.Errorf("alert %s: %s is not a metric the operator exports (internal/metrics)", r.Alert, name)
				}
			}
		}
	}
}

func TestInputSeriesUseExportedMetrics(t *testing.T) {
	known := knownNames(t)
	for i, tc := range readUnitTests(t).Tests {
		for _, s := range tc.InputSeries {
			for _, name := range seriesNames(s.Series) {
				if !known[name] {
					t.Errorf("test %d: input series %s: %s is not a metric the operator exports", i, s.Series, name)
				}
			}
		}
	}
}

// seriesNames is the metric name of an input series and every slotkeeper
// name in it, each once.
func seriesNames(series string) []string {
	names := metricName.FindAllString(series, -1)
	if m := seriesName.FindStringSubmatch(series); m != nil {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func TestEveryAlertHasFiringTest(t *testing.T) {
	firing := map[string]bool{}
	for _, tc := range readUnitTests(t).Tests {
		for _, a := range tc.AlertRuleTests {
			firing[a.Alertname] = firing[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	alerts := 0
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !firing[r.Alert] {
				t.Errorf("alert %s has no test in %s that expects it to fire", r.Alert, testsPath)
			}
		}
	}
	if alerts == 0 {
		t.Fatalf("%s defines no alert", rulesPath)
	}
}

// knownNames is every family of metrics.Names, plus the _bucket, _sum and
// _count series of the histograms among them.
func knownNames(t *testing.T) map[string]bool {
	t.Helper()
	names := metrics.Names()
	if len(names) == 0 {
		t.Fatal("metrics.Names() is empty")
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for _, h := range histograms(t) {
		if !slices.Contains(names, h) {
			continue
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			known[h+suffix] = true
		}
	}
	return known
}

// histograms lists the slotkeeper histogram families in the registry. A
// vector only shows once it has a child, so it records one probe first.
func histograms(t *testing.T) []string {
	t.Helper()
	metrics.ObserveProbe("promrules-test", "server", "member", 0)
	defer metrics.DeleteServer("promrules-test", "server")
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "slotkeeper_") && f.GetType().String() == "HISTOGRAM" {
			out = append(out, f.GetName())
		}
	}
	return out
}
