package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	// secureMetricsNS holds a server, so there are slotkeeper_ series to
	// read, and the ServiceAccount that scrapes.
	secureMetricsNS = "e2e-secure-metrics"
	// scraperSA plays Prometheus' ServiceAccount.
	scraperSA = "scraper"
	// scraperBinding grants it config/rbac/metrics_reader_role.yaml's
	// ClusterRole, named as the file names it (kustomize adds the prefix).
	scraperBinding = "e2e-metrics-scraper"
	readerRole     = "metrics-reader"
)

// The operator's default metrics: HTTPS, and only for a bearer token the
// API server accepts whose user RBAC lets GET /metrics. The operator runs as
// the suite's cluster admin, so its own TokenReviews and SubjectAccessReviews
// are allowed; the scraper's rights are what each spec changes.
var _ = Describe("secure metrics", Ordered, func() {
	var addr, token string

	BeforeAll(func() {
		addr = replaceOperator("operator-secure-metrics.log", "--metrics-secure=true")
		kubectlIn(serverManifest(secureMetricsNS, metricsPoll, pg.Primary, pg.Standby), "apply", "-f", "-")
		DeferCleanup(deleteFailoverObjects, secureMetricsNS)
		kubectl("wait", "--for=condition=Ready", "pgserver/db", "-n", secureMetricsNS, "--timeout=60s")
		kubectl("create", "serviceaccount", scraperSA, "-n", secureMetricsNS)
		token = serviceAccountToken(secureMetricsNS, scraperSA)
	})

	It("refuses a request without a token", func() {
		// The first answer also tells that the listener is up.
		Eventually(func(g Gomega) {
			g.Expect(getSecure(g, "https://"+addr+"/metrics", "").status).To(Equal(http.StatusUnauthorized))
		}).Should(Succeed())
	})

	It("refuses a ServiceAccount that RBAC does not let read /metrics", func() {
		got := getSecure(Default, "https://"+addr+"/metrics", token)
		Expect(got.status).To(Equal(http.StatusForbidden))
		Expect(got.body).NotTo(ContainSubstring("slotkeeper_"))
	})

	It("serves the series once the ServiceAccount holds the metrics-reader ClusterRole", func() {
		bindScraper()
		// RBAC reaches the API server's authorizer a moment after it is
		// written, and a filter may cache a refusal (controller-runtime's
		// does for 30 s): poll within the suite's timeout.
		Eventually(func(g Gomega) {
			got := getSecure(g, "https://"+addr+"/metrics", token)
			g.Expect(got.status).To(Equal(http.StatusOK))
			g.Expect(got.body).To(ContainSubstring(`slotkeeper_server_up{namespace="` + secureMetricsNS))
			// HTTP/2 stays off even for a client that asks for it.
			g.Expect(got.proto).To(Equal("HTTP/1.1"))
		}).Should(Succeed())
	})

	It("does not answer plain HTTP", func() {
		got, err := get("http://"+addr+"/metrics", token)
		// Go's TLS server answers a plain request with 400 ("Client sent an
		// HTTP request to an HTTPS server"); a closed connection would do too.
		if err == nil {
			Expect(got.status).To(Equal(http.StatusBadRequest))
			Expect(got.body).NotTo(ContainSubstring("slotkeeper_"))
		}
	})
})

// serviceAccountToken asks the TokenRequest API for an hour's token, as a
// pod's projected token is made.
func serviceAccountToken(ns, name string) string {
	GinkgoHelper()
	cs, err := kubernetes.NewForConfig(kube.Env.Config)
	Expect(err).NotTo(HaveOccurred())
	hour := int64(3600)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &hour}}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	got, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, tr, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	return got.Status.Token
}

// bindScraper applies the repository's metrics-reader ClusterRole and binds
// the scraper to it; both go when the spec ends.
func bindScraper() {
	GinkgoHelper()
	kubectl("apply", "-f", filepath.Join(paths.Root, "config", "rbac", "metrics_reader_role.yaml"))
	DeferCleanup(func() { kubectl("delete", "clusterrole", readerRole, "--ignore-not-found") })
	kubectl("create", "clusterrolebinding", scraperBinding, "--clusterrole="+readerRole,
		"--serviceaccount="+secureMetricsNS+":"+scraperSA)
	DeferCleanup(func() { kubectl("delete", "clusterrolebinding", scraperBinding, "--ignore-not-found") })
}

// answer is what the metrics endpoint said.
type answer struct {
	status      int
	body, proto string
}

// getSecure is get over HTTPS, expected to get an answer.
func getSecure(g Gomega, url, token string) answer {
	got, err := get(url, token)
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return got
}

// get sends GET url with the bearer token, if any. The client skips
// certificate checks: the operator made itself a self-signed certificate at
// start, which nothing could verify, and these specs are about who may read,
// not about the certificate. It offers HTTP/2, to see the server decline it.
func get(url, token string) (answer, error) {
	cl := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return answer{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(body), proto: resp.Proto}, err
}
