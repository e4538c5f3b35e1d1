package grafana_test

import (
	"maps"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/test/grafana"
)

const dashboardPath = "../../config/grafana/slotkeeper-dashboard.json"

// operatorCatalog is what the operator would export for one server with a
// primary and a standby and one slot that has every optional series: the
// slotkeeper families as the metrics package writes them, and
// controller-runtime's from grafana.RuntimeScrape.
func operatorCatalog(t *testing.T) *grafana.Catalog {
	t.Helper()
	publishFixture(t)
	gathered, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams, err := grafana.RuntimeFamilies()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range gathered {
		if strings.HasPrefix(f.GetName(), "slotkeeper_") {
			fams[f.GetName()] = f
		}
	}
	return newCatalog(t, fams)
}

func newCatalog(t *testing.T, fams map[string]*dto.MetricFamily) *grafana.Catalog {
	t.Helper()
	c, err := grafana.NewCatalog(maps.Clone(fams))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func publishFixture(t *testing.T) {
	t.Helper()
	const ns, server = "dashboard-test", "db"
	n := func(v int64) *int64 { return &v }
	since, notReady := 1.7e9, false
	metrics.SetSlot(metrics.Slot{Namespace: ns, Name: "cdc", SlotName: "cdc", Server: server,
		Ready: true, RetainedBytes: n(600 << 20), BudgetBytes: n(1 << 30), LagBytes: n(1 << 20),
		SafeWALSizeBytes: n(4 << 30), WALStatus: "reserved", InvalidationReason: "wal_removed",
		InactiveSince: &since, FailoverReady: &notReady, BlockedSeconds: 400, Recreations: 1,
		DataGap: true, DataGapBytesTotal: 16 << 20, GapWindowBytes: n(16 << 20), GapRecreations: 1, Vanished: 1})
	primary, standby := "10.0.0.1:5432", "10.0.0.2:5432"
	metrics.SetServer(metrics.Server{Namespace: ns, Name: server, Up: true, Timeline: 2, Failovers: 1,
		Members:         []metrics.Member{{Addr: primary, Up: true, Primary: true}, {Addr: standby, Up: true}},
		ActiveUnmanaged: n(1), InactiveUnmanaged: n(1), ActiveUnmanagedBytes: n(16 << 20),
		InactiveUnmanagedBytes: n(32 << 20), UnmanagedBudgetBytes: n(10 << 30)})
	metrics.ObserveProbe(ns, server, primary, 0)
	metrics.ObserveProbe(ns, server, standby, 0)
	t.Cleanup(func() {
		metrics.DeleteSlot(ns, "cdc")
		metrics.DeleteServer(ns, server)
	})
}

func loadQueries(t *testing.T) (*grafana.Dashboard, []grafana.Query) {
	t.Helper()
	d, err := grafana.Load(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := d.Queries()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) == 0 {
		t.Fatalf("%s has no queries", dashboardPath)
	}
	return d, qs
}
