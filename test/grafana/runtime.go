package grafana

import (
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// RuntimeScrape is what the operator's /metrics shows of controller-runtime's
// own series that the dashboard reads, recorded from a running operator
// (with --leader-elect). The metrics package cannot produce them without a
// manager, so the fast test reads them from here; test/e2e checks that the
// running operator still exports each with these labels.
const RuntimeScrape = `# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="replicationslot",result="success"} 42
controller_runtime_reconcile_total{controller="replicationslot",result="error"} 1
controller_runtime_reconcile_total{controller="postgresserver",result="requeue_after"} 7
# TYPE controller_runtime_reconcile_errors_total counter
controller_runtime_reconcile_errors_total{controller="replicationslot"} 1
controller_runtime_reconcile_errors_total{controller="postgresserver"} 0
# TYPE controller_runtime_reconcile_time_seconds histogram
controller_runtime_reconcile_time_seconds_bucket{controller="replicationslot",le="0.1"} 40
controller_runtime_reconcile_time_seconds_bucket{controller="replicationslot",le="+Inf"} 43
controller_runtime_reconcile_time_seconds_sum{controller="replicationslot"} 2.5
controller_runtime_reconcile_time_seconds_count{controller="replicationslot"} 43
# TYPE workqueue_depth gauge
workqueue_depth{controller="replicationslot",name="replicationslot",priority=""} 0
workqueue_depth{controller="postgresserver",name="postgresserver",priority=""} 0
# TYPE leader_election_master_status gauge
leader_election_master_status{name="slotkeeper.pg.slotkeeper.dev"} 1
`

// RuntimeFamilies parses RuntimeScrape.
func RuntimeFamilies() (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(strings.NewReader(RuntimeScrape))
}
