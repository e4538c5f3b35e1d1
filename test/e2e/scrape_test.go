package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// families is one scrape: every metric family by name.
type families map[string]*dto.MetricFamily

// freeLocalPort asks the kernel for a port nobody listens on. The operator
// binds it a moment later; another process taking it in between would show
// as a scrape that never succeeds.
func freeLocalPort() int {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// scrape fetches url as Prometheus would, asking for the text format, and
// parses it with Prometheus' own parser.
func scrape(url string) (families, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// series returns the metrics of family name whose labels include all of
// want; other labels may have any value.
func (f families) series(name string, want map[string]string) []*dto.Metric {
	mf, ok := f[name]
	if !ok {
		return nil
	}
	var out []*dto.Metric
	for _, m := range mf.GetMetric() {
		if hasLabels(m, want) {
			out = append(out, m)
		}
	}
	return out
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// one is the single series of family name with labels want, failing g
// when there is none or more than one.
func (f families) one(g Gomega, name string, want map[string]string) *dto.Metric {
	ms := f.series(name, want)
	g.ExpectWithOffset(1, ms).To(HaveLen(1), "%s%v: want exactly one series", name, want)
	return ms[0]
}

// value is the single series' gauge or counter value.
func (f families) value(g Gomega, name string, want map[string]string) float64 {
	m := f.one(g, name, want)
	switch t := f.typeOf(name); t {
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	default:
		g.Expect(t).To(BeElementOf(dto.MetricType_GAUGE, dto.MetricType_COUNTER), name)
		return 0
	}
}

// expect matches the single series' value, naming the series on failure.
func (f families) expect(g Gomega, name string, want map[string]string, m types.GomegaMatcher) {
	g.ExpectWithOffset(1, f.value(g, name, want)).To(m, "%s%v", name, want)
}

// typeOf is the declared TYPE of family name.
func (f families) typeOf(name string) dto.MetricType {
	return f[name].GetType()
}

// withLabel is want plus one more label, for the series that add one
// (status, state, member) to their object's labels.
func withLabel(want map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for lk, lv := range want {
		out[lk] = lv
	}
	return out
}
