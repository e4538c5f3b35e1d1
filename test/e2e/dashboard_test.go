package e2e

import (
	"fmt"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/test/grafana"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// dashboardNS holds the objects whose series the dashboard's queries read.
const dashboardNS = "e2e-dashboard"

// The Grafana dashboard against the running operator: every query of
// config/grafana/slotkeeper-dashboard.json names series and labels the
// operator really exports, and promtool evaluates each against a scrape to
// a non-empty answer. test/grafana checks the same against the metrics
// package alone; this is the check nothing in-process can fake.
var _ = Describe("dashboard", Ordered, func() {
	var url string

	BeforeAll(func() {
		// The Lease of --leader-elect needs its namespace first.
		kubectl("create", "namespace", dashboardNS)
		url = restartOperatorForDashboard()
		kubectlIn(dashboardManifest(), "apply", "-f", "-")
		DeferCleanup(deleteFailoverObjects, dashboardNS)
		kubectl("wait", "--for=condition=Ready", "pgserver/db", "-n", dashboardNS, "--timeout=60s")
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", dashboardNS, "--timeout=60s")
	})

	It("answers every panel and variable from the operator's /metrics", func() {
		catalog := scrapeForDashboard(url)
		queries := dashboardQueries()
		vars := grafana.StandIns().With("namespace", dashboardNS, "server", "db", "slot", ".+", "lease", dashboardLease)
		var problems []string
		var evals []grafana.Evaluation
		for _, q := range queries {
			for _, err := range catalog.Check(q, vars) {
				problems = append(problems, err.Error())
			}
			unmatched, err := catalog.Unmatched(q, vars)
			Expect(err).NotTo(HaveOccurred())
			for _, s := range unmatched {
				problems = append(problems, fmt.Sprintf("%s: %s selects no series of the scrape", q.Where, s))
			}
			expr, err := vars.Expand(q.Expr)
			Expect(err).NotTo(HaveOccurred())
			evals = append(evals, grafana.Evaluation{Where: q.Where, Expr: expr})
		}
		Expect(problems).To(BeEmpty())
		evaluateWithPromtool(catalog, evals)
	})

	It("exports controller-runtime's series as grafana.RuntimeScrape records them", func() {
		catalog := scrapeForDashboard(url)
		recorded, err := grafana.RuntimeFamilies()
		Expect(err).NotTo(HaveOccurred())
		want, err := grafana.NewCatalog(recorded)
		Expect(err).NotTo(HaveOccurred())
		for name := range recorded {
			for _, series := range []string{name, name + "_bucket"} {
				if want.Has(series) {
					Expect(catalog.LabelNames(series)).To(Equal(want.LabelNames(series)), series)
				}
			}
		}
	})
})

// dashboardLease is the Lease the dashboard's operator leads by: not the
// default name, so that the scrape shows --leader-election-id reaching the
// election.
const dashboardLease = "slotkeeper-dashboard"

// restartOperatorForDashboard is restartOperatorWithMetrics with leader
// election on, so that leader_election_master_status is exported too.
func restartOperatorForDashboard() string {
	GinkgoHelper()
	addr := replaceOperator("operator-dashboard.log", "--metrics-secure=false",
		"--leader-elect", "--leader-election-namespace="+dashboardNS, "--leader-election-id="+dashboardLease)
	return "http://" + addr + "/metrics"
}

// dashboardManifest: a logical slot with a budget and failover (the suite's
// standby lacks the slot-sync settings, so FailoverReady is False and the
// series exists), and a physical slot without either.
func dashboardManifest() string {
	return serverManifest(dashboardNS, metricsPoll, pg.Primary, pg.Standby) + fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: dash-cdc, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[2]s, plugin: test_decoding, maxRetainedWAL: 1Gi, failover: true}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: dash-replica, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Physical}
`, dashboardNS, harness.Database)
}

// scrapeForDashboard waits until the scrape holds every series the
// fixture promises, then returns it as a catalog.
func scrapeForDashboard(url string) *grafana.Catalog {
	GinkgoHelper()
	ns := map[string]string{"namespace": dashboardNS}
	var f families
	Eventually(func(g Gomega) {
		f = mustScrape(g, url)
		g.Expect(f.series("slotkeeper_slot_retained_wal_bytes", ns)).To(HaveLen(2))
		g.Expect(f.series("slotkeeper_slot_failover_ready", ns)).To(HaveLen(1))
		g.Expect(f.series("slotkeeper_slot_inactive_since_timestamp_seconds", ns)).NotTo(BeEmpty())
		g.Expect(f.series("slotkeeper_server_unmanaged_retained_wal_bytes", ns)).To(HaveLen(2))
		g.Expect(f.series("slotkeeper_server_member_up", ns)).To(HaveLen(2))
		g.Expect(f.series("leader_election_master_status", map[string]string{"name": dashboardLease})).To(HaveLen(1))
	}).Should(Succeed())
	c, err := grafana.NewCatalog(f)
	Expect(err).NotTo(HaveOccurred())
	return c
}

func dashboardQueries() []grafana.Query {
	GinkgoHelper()
	d, err := grafana.Load(filepath.Join(paths.Root, "config", "grafana", "slotkeeper-dashboard.json"))
	Expect(err).NotTo(HaveOccurred())
	qs, err := d.Queries()
	Expect(err).NotTo(HaveOccurred())
	Expect(qs).NotTo(BeEmpty())
	return qs
}

// evaluateWithPromtool has promtool evaluate each expression against the
// scrape; every one must return a series.
func evaluateWithPromtool(c *grafana.Catalog, evals []grafana.Evaluation) {
	GinkgoHelper()
	promtool := os.Getenv("PROMTOOL")
	Expect(promtool).NotTo(BeEmpty(), "PROMTOOL is not set: make test-e2e sets it (bash hack/install-promtool.sh)")
	dir := GinkgoT().TempDir()
	name, err := c.PromtoolTest(dir, evals)
	Expect(err).NotTo(HaveOccurred())
	out, err := grafana.RunPromtool(promtool, dir, name)
	Expect(err).NotTo(HaveOccurred(), "promtool test rules:\n%s", out)
	Expect(string(out)).To(ContainSubstring("SUCCESS"))
}
