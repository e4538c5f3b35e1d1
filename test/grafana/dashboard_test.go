package grafana_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/slotkeeper/slotkeeper/test/grafana"
)

// The rows docs/dashboard.md describes, in order.
var wantRows = []string{"Fleet overview", "WAL retention vs budget", "Consumers", "Failover readiness",
	"Data gaps", "Creation & blockers", "Unmanaged slots", "Operator health"}

func TestDashboardLayout(t *testing.T) {
	d, _ := loadQueries(t)
	var rows []string
	ids := map[int]bool{}
	for _, p := range d.AllPanels() {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d is not unique", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			rows = append(rows, p.Title)
			continue
		}
		if !strings.Contains(string(p.Datasource), "${datasource}") || len(p.Targets) == 0 {
			t.Errorf("panel %q: want queries on the ${datasource} variable, got datasource %s, %d targets",
				p.Title, p.Datasource, len(p.Targets))
		}
	}
	if !slices.Equal(rows, wantRows) {
		t.Errorf("rows %q, want %q", rows, wantRows)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a title and a uid (a stable URL, and what an import replaces)")
	}
}

func TestDashboardVariables(t *testing.T) {
	d, _ := loadQueries(t)
	types := map[string]string{}
	for _, v := range d.Templating.List {
		types[v.Name] = v.Type
	}
	want := map[string]string{"datasource": "datasource", "namespace": "query", "server": "query", "slot": "query", "lease": "textbox"}
	for name, typ := range want {
		if types[name] != typ {
			t.Errorf("variable %s: type %q, want %q", name, types[name], typ)
		}
	}
}

// TestQueriesHonourVariables: a panel that ignored the namespace, server
// or slot picked at the top would show the whole fleet under a filter.
func TestQueriesHonourVariables(t *testing.T) {
	_, qs := loadQueries(t)
	for _, q := range qs {
		if q.Panel == "" {
			continue
		}
		p, err := grafana.Parse(mustExpand(t, q.Expr))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Selectors {
			for _, v := range variablesFor(s.Metric) {
				if !strings.Contains(q.Expr, v+`=~"$`+variableOf(v)+`"`) {
					t.Errorf("%s: %s does not filter on %s=~\"$%s\"", q.Where, s.Metric, v, variableOf(v))
				}
			}
		}
	}
}

func variablesFor(metric string) []string {
	switch {
	case strings.HasPrefix(metric, "slotkeeper_slot_"):
		return []string{"namespace", "server", "slot"}
	case strings.HasPrefix(metric, "slotkeeper_server_"):
		return []string{"namespace", "server"}
	case metric == "leader_election_master_status":
		// Other operators scraped by the same Prometheus export it too;
		// a shard's Lease has its own name (--leader-election-id).
		return []string{"name"}
	}
	return nil
}

// variableOf is the dashboard variable a label is filtered by.
func variableOf(label string) string {
	if label == "name" {
		return "lease"
	}
	return label
}

func mustExpand(t *testing.T, expr string) string {
	t.Helper()
	out, err := grafana.StandIns().Expand(expr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDashboardIsPlainJSON: what Grafana imports and the sidecar reads is
// one JSON object with a schemaVersion.
func TestDashboardIsPlainJSON(t *testing.T) {
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		SchemaVersion int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &model); err != nil || model.SchemaVersion < 36 {
		t.Fatalf("%s: %v, schemaVersion %d (want a Grafana 9+ model)", dashboardPath, err, model.SchemaVersion)
	}
}
