// Package promrules_test checks the alerts of config/prometheus/rules.yaml:
// promtool accepts them, their unit tests in rules_test.yaml pass, they use
// only metrics the operator exports, and every alert has a firing test.
package promrules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	rulesPath = "../../config/prometheus/rules.yaml"
	testsPath = "../../config/prometheus/rules_test.yaml"
	// extractedName is the plain rule-groups file rules_test.yaml names in
	// rule_files; the tests write it next to a copy of rules_test.yaml.
	extractedName = "rules.extracted.yaml"
)

// ruleGroups is the spec of the PrometheusRule, as far as the tests read it.
type ruleGroups struct {
	Groups []struct {
		Rules []struct {
			Alert string `json:"alert"`
			Expr  string `json:"expr"`
		} `json:"rules"`
	} `json:"groups"`
}

// unitTests is rules_test.yaml, as far as the tests read it.
type unitTests struct {
	Tests []struct {
		InputSeries []struct {
			Series string `json:"series"`
		} `json:"input_series"`
		AlertRuleTests []struct {
			Alertname string            `json:"alertname"`
			ExpAlerts []json.RawMessage `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// ruleSpec returns the spec of the PrometheusRule in rules.yaml as JSON.
func ruleSpec(t *testing.T) []byte {
	t.Helper()
	var obj struct {
		Kind string          `json:"kind"`
		Spec json.RawMessage `json:"spec"`
	}
	readYAML(t, rulesPath, &obj)
	if obj.Kind != "PrometheusRule" || len(obj.Spec) == 0 {
		t.Fatalf("%s: want a PrometheusRule with a spec, got kind %q", rulesPath, obj.Kind)
	}
	return obj.Spec
}

func readRules(t *testing.T) ruleGroups {
	t.Helper()
	var g ruleGroups
	if err := json.Unmarshal(ruleSpec(t), &g); err != nil {
		t.Fatalf("%s: spec: %v", rulesPath, err)
	}
	return g
}

func readUnitTests(t *testing.T) unitTests {
	t.Helper()
	var u unitTests
	readYAML(t, testsPath, &u)
	return u
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// workDir writes the PrometheusRule's spec as a plain rule file and a copy
// of rules_test.yaml into a temporary directory, for promtool.
func workDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	groups, err := yaml.JSONToYAML(ruleSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(testsPath)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, extractedName), groups)
	writeFile(t, filepath.Join(dir, filepath.Base(testsPath)), tests)
	return dir
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
