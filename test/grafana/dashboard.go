// Package grafana takes apart the Grafana dashboard of config/grafana so
// that tests can hold every query to the metrics the operator exports:
// test/grafana against the metrics package in process, test/e2e against a
// scrape of the running operator. A renamed metric or label then breaks
// the build, not the dashboard.
package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Dashboard is the part of a dashboard's JSON model the checks read.
type Dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is a panel, or a row whose panels are nested when it is collapsed.
type Panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []Target        `json:"targets"`
	Panels     []Panel         `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

// Variable is a templating variable; Query is a string or, since Grafana
// 10, an object whose "query" holds the string.
type Variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

// Query is one PromQL expression of the dashboard.
type Query struct {
	// Where names it in messages: a panel's title and refId, or a variable.
	Where string
	// Panel is the panel's title; empty for a variable.
	Panel string
	// Expr is the expression as written, Grafana variables included.
	Expr string
	// Legend is the target's legendFormat.
	Legend string
	// Label is the label a label_values() variable lists.
	Label string
}

// Load reads a dashboard's JSON model.
func Load(path string) (*Dashboard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// AllPanels lists every panel, rows and the panels of collapsed rows
// included, in order.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Queries lists the expression of every panel target and of every query
// variable.
func (d *Dashboard) Queries() ([]Query, error) {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			if strings.TrimSpace(t.Expr) == "" {
				return nil, fmt.Errorf("panel %q target %s has no expr", p.Title, t.RefID)
			}
			out = append(out, Query{Where: fmt.Sprintf("panel %q target %s", p.Title, t.RefID),
				Panel: p.Title, Expr: t.Expr, Legend: t.LegendFormat})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := v.queryText()
		if err != nil {
			return nil, err
		}
		sel, label, err := labelValues(q)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Name, err)
		}
		out = append(out, Query{Where: "variable " + v.Name, Expr: sel, Label: label})
	}
	return out, nil
}

func (v Variable) queryText() (string, error) {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s, nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &obj); err != nil {
		return "", fmt.Errorf("variable %s: query: %w", v.Name, err)
	}
	return obj.Query, nil
}

var labelValuesCall = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// labelValues takes apart Grafana's label_values(selector, label), which
// is not PromQL. The one-argument form asks every metric of the data
// source, so a dashboard must name one.
func labelValues(q string) (selector, label string, err error) {
	m := labelValuesCall.FindStringSubmatch(q)
	if m == nil {
		return "", "", fmt.Errorf("query %q: want label_values(<metric selector>, <label>)", q)
	}
	return m[1], m[2], nil
}
