package grafana

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"
)

// Evaluation is one expression for promtool to evaluate against the
// catalog's samples.
type Evaluation struct {
	Where string
	// Expr has its Grafana variables expanded.
	Expr string
	// MayBeEmpty: the expression need only evaluate; otherwise it must
	// return at least one series.
	MayBeEmpty bool
}

// The samples are loaded as a series of constant values every step up to
// evalAt, so rate() and increase() over the stand-in intervals have
// samples to work on.
const (
	step   = "15s"
	steps  = 40
	evalAt = "10m"
)

// PromtoolTest writes a `promtool test rules` file into dir whose
// promql_expr_test cases evaluate each expression against the catalog's
// samples of the series the expressions name, and returns its name.
func (c *Catalog) PromtoolTest(dir string, evals []Evaluation) (string, error) {
	names := map[string]bool{}
	for _, e := range evals {
		p, err := Parse(e.Expr)
		if err != nil {
			return "", fmt.Errorf("%s: %w", e.Where, err)
		}
		for _, s := range p.Selectors {
			names[s.Metric] = true
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "empty-rules.yaml"), []byte("groups: []\n"), 0o644); err != nil {
		return "", err
	}
	file := unitTestFile{RuleFiles: []string{"empty-rules.yaml"}, EvaluationInterval: step,
		Tests: []unitTest{{Interval: step, InputSeries: c.inputSeries(names), ExprTests: exprTests(evals)}}}
	data, err := yaml.Marshal(file)
	if err != nil {
		return "", err
	}
	const name = "dashboard-test.yaml"
	return name, os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

// RunPromtool runs promtool test rules on the file in dir.
func RunPromtool(promtool, dir, name string) ([]byte, error) {
	cmd := exec.Command(promtool, "test", "rules", name)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

type unitTestFile struct {
	RuleFiles          []string   `json:"rule_files"`
	EvaluationInterval string     `json:"evaluation_interval"`
	Tests              []unitTest `json:"tests"`
}

type unitTest struct {
	Interval    string        `json:"interval"`
	InputSeries []inputSeries `json:"input_series"`
	ExprTests   []exprTest    `json:"promql_expr_test"`
}

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type exprTest struct {
	Expr       string      `json:"expr"`
	EvalTime   string      `json:"eval_time"`
	ExpSamples []expSample `json:"exp_samples"`
}

type expSample struct {
	Labels string  `json:"labels"`
	Value  float64 `json:"value"`
}

// exprTests: count(E) > bool 0 is 1 when E returns a series and nothing
// when it returns none; "or vector(1)" accepts both. The comment names the
// panel in promtool's report.
func exprTests(evals []Evaluation) []exprTest {
	out := make([]exprTest, 0, len(evals))
	for _, e := range evals {
		expr := fmt.Sprintf("# %s\ncount(\n%s\n) > bool 0", strings.ReplaceAll(e.Where, "\n", " "), e.Expr)
		if e.MayBeEmpty {
			expr += " or vector(1)"
		}
		out = append(out, exprTest{Expr: expr, EvalTime: evalAt, ExpSamples: []expSample{{Labels: "{}", Value: 1}}})
	}
	return out
}

// inputSeries are the samples of the named series, each repeated.
func (c *Catalog) inputSeries(names map[string]bool) []inputSeries {
	var out []inputSeries
	for _, s := range c.samples {
		v := float64(s.Value)
		if !names[string(s.Metric[model.MetricNameLabel])] || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		out = append(out, inputSeries{Series: seriesText(s.Metric),
			Values: fmt.Sprintf("%s+0x%d", strconv.FormatFloat(v, 'f', -1, 64), steps)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Series < out[j].Series })
	return out
}

// seriesText writes a series in promtool's notation, name{label="value"}.
func seriesText(m model.Metric) string {
	var pairs []string
	for l, v := range m {
		if l != model.MetricNameLabel {
			pairs = append(pairs, fmt.Sprintf("%s=%s", l, strconv.Quote(string(v))))
		}
	}
	sort.Strings(pairs)
	return fmt.Sprintf("%s{%s}", m[model.MetricNameLabel], strings.Join(pairs, ","))
}
