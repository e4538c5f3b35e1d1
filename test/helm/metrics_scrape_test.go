package helm_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// scraper is the ServiceAccount the test scrapes as, the way Prometheus
// would with its own.
const scraper = "prometheus"

// freeLocalAddr is a loopback address nobody listens on, for the operator's
// metrics.
func freeLocalAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// wantSecureScrape binds the chart's metrics-reader ClusterRole to a
// ServiceAccount of its own, as the chart's README tells, and scrapes with
// that account's token: the operator must answer with its series.
func wantSecureScrape(t *testing.T, c cluster, addr string) {
	t.Helper()
	c.apply(t, []byte(fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata: {name: %[1]s, namespace: %[2]s}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %[1]s-slotkeeper-metrics}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %[3]s-metrics-reader}
subjects: [{kind: ServiceAccount, name: %[1]s, namespace: %[2]s}]
`, scraper, namespace, release)))
	token := requestToken(t, c, scraper)
	var status int
	var body string
	// The listener opens as the manager starts, and the binding reaches the
	// API server's RBAC cache a moment after it is written: poll.
	err := wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) {
			status, body = getMetrics(ctx, "https://"+addr+"/metrics", token)
			return status == http.StatusOK, nil
		})
	if err != nil {
		t.Fatalf("scraping the operator's secure /metrics as %s: last status %d, body %.200q", scraper, status, body)
	}
	if !strings.Contains(body, "slotkeeper_") {
		t.Errorf("the scrape has no slotkeeper_ series: %.300q", body)
	}
}

// getMetrics GETs url with a bearer token; status 0 when the request
// failed. The operator's certificate is the self-signed one it makes when
// given none, so there is nothing to verify it against.
func getMetrics(ctx context.Context, url, token string) (int, string) {
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(data)
}
