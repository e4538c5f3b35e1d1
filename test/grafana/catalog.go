package grafana

import (
	"fmt"
	"regexp"
	"slices"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Catalog is a scrape as the checks see it: every series name (a
// histogram's _bucket, _sum and _count apart) with the label names its
// series carry, and the samples.
type Catalog struct {
	labels  map[string]map[string]bool
	samples model.Vector
}

// NewCatalog reads parsed metric families, as expfmt or a registry's
// Gather returns them.
func NewCatalog(fams map[string]*dto.MetricFamily) (*Catalog, error) {
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]*dto.MetricFamily, 0, len(names))
	for _, n := range names {
		list = append(list, fams[n])
	}
	samples, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, list...)
	if err != nil {
		return nil, err
	}
	c := &Catalog{labels: map[string]map[string]bool{}, samples: samples}
	for _, s := range samples {
		name := string(s.Metric[model.MetricNameLabel])
		if c.labels[name] == nil {
			c.labels[name] = map[string]bool{}
		}
		for l := range s.Metric {
			if l != model.MetricNameLabel {
				c.labels[name][string(l)] = true
			}
		}
	}
	return c, nil
}

// Has reports whether the scrape holds series of the name.
func (c *Catalog) Has(name string) bool { return c.labels[name] != nil }

// LabelNames lists the label names of a series name, sorted.
func (c *Catalog) LabelNames(name string) []string {
	var out []string
	for l := range c.labels[name] {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Check holds one query to the catalog: every selector names a series of
// the scrape and filters only on labels those series carry, and every
// label it groups by, matches on, lists or writes in its legend is one of
// them. vars expands the Grafana variables first.
func (c *Catalog) Check(q Query, vars Vars) []error {
	p, err := parseQuery(q, vars)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, s := range p.Selectors {
		errs = append(errs, c.checkSelector(q, s)...)
	}
	if len(errs) > 0 {
		return errs // the label checks below would only repeat them
	}
	for _, u := range p.Uses {
		if !c.carried(u.Label, u.Under) {
			errs = append(errs, fmt.Errorf("%s: %s: no series selected under it has label %q", q.Where, u.Context, u.Label))
		}
	}
	for _, l := range wanted(q) {
		if !c.carried(l, p.Selectors) {
			errs = append(errs, fmt.Errorf("%s: label %q (legend or label_values) is on none of its series", q.Where, l))
		}
	}
	return errs
}

func (c *Catalog) checkSelector(q Query, s Selector) []error {
	if !c.Has(s.Metric) {
		return []error{fmt.Errorf("%s: %s: the operator exports no metric %s", q.Where, s.Text, s.Metric)}
	}
	var errs []error
	for _, m := range s.Matchers {
		if !c.labels[s.Metric][m.Name] {
			errs = append(errs, fmt.Errorf("%s: %s: %s has no label %q (it has %v)", q.Where, s.Text, s.Metric, m.Name, c.LabelNames(s.Metric)))
		}
	}
	return errs
}

// carried: some selector's series carry the label.
func (c *Catalog) carried(label string, under []Selector) bool {
	return slices.ContainsFunc(under, func(s Selector) bool { return c.labels[s.Metric][label] })
}

// Unmatched lists the selectors of q that select no sample of the scrape.
func (c *Catalog) Unmatched(q Query, vars Vars) ([]string, error) {
	p, err := parseQuery(q, vars)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range p.Selectors {
		if !slices.ContainsFunc(c.samples, s.matches) {
			out = append(out, s.Text)
		}
	}
	return out, nil
}

func (s Selector) matches(sample *model.Sample) bool {
	if string(sample.Metric[model.MetricNameLabel]) != s.Metric {
		return false
	}
	for _, m := range s.Matchers {
		if !m.Matches(string(sample.Metric[model.LabelName(m.Name)])) {
			return false
		}
	}
	return true
}

func parseQuery(q Query, vars Vars) (*Parsed, error) {
	expr, err := vars.Expand(q.Expr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.Where, err)
	}
	p, err := Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", q.Where, expr, err)
	}
	return p, nil
}

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// wanted are the labels the query's legend writes and its variable lists.
func wanted(q Query) []string {
	var out []string
	if q.Label != "" {
		out = append(out, q.Label)
	}
	for _, m := range legendLabel.FindAllStringSubmatch(q.Legend, -1) {
		out = append(out, m[1])
	}
	return out
}
