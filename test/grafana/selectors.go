package grafana

import (
	"fmt"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Selector is one vector selector of an expression.
type Selector struct {
	// Metric is the metric name; every selector of the dashboard names one.
	Metric string
	// Matchers are its label matchers, the metric name's left out.
	Matchers []*labels.Matcher
	// Text is the selector as PromQL prints it, for messages.
	Text string
}

// LabelUse is a label an expression groups by (by) or matches on (on): it
// must be a label of the series selected under it, or the result quietly
// loses the distinction the panel draws.
type LabelUse struct {
	Label   string
	Context string
	// Under are the selectors whose series must carry Label.
	Under []Selector
}

// Parsed is what the checks need of one expression.
type Parsed struct {
	Selectors []Selector
	Uses      []LabelUse
}

var promql = parser.NewParser(parser.Options{})

// Parse parses an expression, its Grafana variables already expanded.
func Parse(expr string) (*Parsed, error) {
	root, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	out := &Parsed{Selectors: selectorsUnder(root)}
	parser.Inspect(root, func(node parser.Node, _ []parser.Node) error {
		out.Uses = append(out.Uses, labelUses(node)...)
		return nil
	})
	for _, s := range out.Selectors {
		if s.Metric == "" {
			return nil, fmt.Errorf("selector %s names no metric", s.Text)
		}
	}
	return out, nil
}

func selectorsUnder(node parser.Node) []Selector {
	var out []Selector
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, toSelector(vs))
		}
		return nil
	})
	return out
}

func toSelector(vs *parser.VectorSelector) Selector {
	s := Selector{Metric: vs.Name, Text: vs.String()}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName {
			if s.Metric == "" && m.Type == labels.MatchEqual {
				s.Metric = m.Value
			}
			continue
		}
		s.Matchers = append(s.Matchers, m)
	}
	return s
}

// labelUses are the by() labels of an aggregation and the on() labels of
// a binary operation; without() and ignoring() name labels to drop, which
// need not exist.
func labelUses(node parser.Node) []LabelUse {
	var out []LabelUse
	switch n := node.(type) {
	case *parser.AggregateExpr:
		if n.Without {
			return nil
		}
		under := selectorsUnder(n.Expr)
		for _, l := range n.Grouping {
			out = append(out, LabelUse{Label: l, Context: "by (" + l + ")", Under: under})
		}
	case *parser.BinaryExpr:
		if n.VectorMatching == nil || !n.VectorMatching.On {
			return nil
		}
		for _, side := range []parser.Expr{n.LHS, n.RHS} {
			under := selectorsUnder(side)
			for _, l := range n.VectorMatching.MatchingLabels {
				out = append(out, LabelUse{Label: l, Context: "on (" + l + ")", Under: under})
			}
		}
	}
	return out
}
