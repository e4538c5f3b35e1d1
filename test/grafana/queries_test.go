package grafana_test

import (
	"os"
	"strings"
	"testing"

	"github.com/slotkeeper/slotkeeper/test/grafana"
)

// TestQueriesUseExportedMetrics: every selector of every panel and
// variable names a series the operator exports and filters, groups and
// labels its legend only by labels that series carries.
func TestQueriesUseExportedMetrics(t *testing.T) {
	c := operatorCatalog(t)
	_, qs := loadQueries(t)
	for _, q := range qs {
		for _, err := range c.Check(q, grafana.StandIns()) {
			t.Error(err)
		}
	}
}

// TestCheckCatchesRenames makes sure the check above bites: a renamed
// metric, a label the series lacks, a misspelt legend label or variable.
func TestCheckCatchesRenames(t *testing.T) {
	c := operatorCatalog(t)
	for _, q := range []grafana.Query{
		{Where: "renamed metric", Expr: `slotkeeper_slot_retained_bytes{slot=~"$slot"}`},
		{Where: "unknown label", Expr: `slotkeeper_server_up{slot=~"$slot"}`},
		{Where: "by a missing label", Expr: `sum by (member) (slotkeeper_slot_lag_bytes)`},
		{Where: "on a missing label", Expr: `slotkeeper_slot_ready and on(member) slotkeeper_server_up`},
		{Where: "legend", Expr: `slotkeeper_slot_lag_bytes`, Legend: "{{ slot_name }}"},
		{Where: "variable", Expr: `slotkeeper_server_up`, Label: "slot"},
		{Where: "unknown variable", Expr: `slotkeeper_slot_lag_bytes{slot=~"$slots"}`},
		{Where: "no metric name", Expr: `{slot=~"$slot"}`},
	} {
		if errs := c.Check(q, grafana.StandIns()); len(errs) == 0 {
			t.Errorf("%s: %s passed the check", q.Where, q.Expr)
		}
	}
}

// TestQueriesEvaluate has promtool evaluate every query, variables
// expanded, against the fixture's series: each must evaluate and, since
// the fixture has every series, return something.
func TestQueriesEvaluate(t *testing.T) {
	promtool := needPromtool(t)
	c := operatorCatalog(t)
	_, qs := loadQueries(t)
	var evals []grafana.Evaluation
	for _, q := range qs {
		expr, err := grafana.StandIns().Expand(q.Expr)
		if err != nil {
			t.Fatal(err)
		}
		evals = append(evals, grafana.Evaluation{Where: q.Where, Expr: expr})
	}
	dir := t.TempDir()
	name, err := c.PromtoolTest(dir, evals)
	if err != nil {
		t.Fatal(err)
	}
	out, err := grafana.RunPromtool(promtool, dir, name)
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules did not report SUCCESS:\n%s", out)
	}
}

// needPromtool returns $PROMTOOL; as in test/promrules, only -short skips.
func needPromtool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: promtool checks skipped")
	}
	path := os.Getenv("PROMTOOL")
	if path == "" {
		t.Fatal("PROMTOOL is not set: run bash hack/install-promtool.sh and set PROMTOOL to the path it prints " +
			"(or run go test -short to skip promtool checks)")
	}
	return path
}
