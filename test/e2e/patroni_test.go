package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// The operator beside a real Patroni (Debian's package, Raft DCS, two
// PostgreSQL 15 members and a witness): Patroni drops every inactive slot
// that neither its slots nor its ignore_slots name whenever it re-reads its
// slot list, so these stories are about what slotkeeper does about that.
var _ = Describe("beside Patroni", Ordered, func() {
	var pc *pgtest.PatroniCluster

	BeforeAll(func(ctx SpecContext) {
		var err error
		// Short loops keep the stories quick; Patroni requires
		// loop_wait + 2*retry_timeout <= ttl.
		pc, err = pgtest.StartPatroni(ctx, pgtest.PatroniOptions{Scope: "e2e", TTL: 12, LoopWait: 2, RetryTimeout: 4})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pc.Stop)
		leader, err := pc.WaitLeader(ctx)
		Expect(err).NotTo(HaveOccurred())
		// Made on the leader, the role reaches the replica.
		Expect(pc.Exec(ctx, leader, createRoleSQL)).To(Succeed())
		Expect(pc.Settle(ctx)).To(Succeed())
	})

	It("without spec.patroni: names Patroni and ignore_slots, and one window covers every recreation", func(ctx SpecContext) {
		const ns = "e2e-patroni-detect"
		kubectlIn(patroniManifest(ns, pc, "")+patroniSlots(ns, "detect"), "apply", "-f", "-")
		DeferCleanup(deletePatroniObjects, ns)
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", ns, "--timeout=60s")

		By("status.haManager and the HAManagerCoversSlots condition")
		Eventually(jsonpath("pgserver/db", "{.status.haManager.name} {.status.haManager.detectedBy} "+haCondition, "-n", ns)).
			Should(Equal("Patroni pg_stat_activity Unknown Unknown"))
		Expect(kubectl("get", "pgserver/db", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="HAManagerCoversSlots")].message}`)).
			To(And(ContainSubstring("Patroni runs this cluster"), ContainSubstring("ignore_slots"), ContainSubstring("spec.patroni.urls")))

		leader, err := pc.Leader(ctx)
		Expect(err).NotTo(HaveOccurred())
		from := confirmedOn(ctx, pc, leader, "detect_cdc")

		By("a switchover: slotkeeper recreates both slots on the new leader")
		sw, err := pc.Switchover(ctx, "")
		Expect(err).NotTo(HaveOccurred())
		waitOnLeader(ns, memberAddr(pc, sw.To), "detect-cdc", "detect-replica")

		By("a Patroni restart drops them again, with no failover")
		Expect(pc.Settle(ctx)).To(Succeed())
		Expect(pc.KillPatroni(ctx, sw.To)).To(Succeed())
		Expect(pc.StartPatroni(ctx, sw.To)).To(Succeed())
		Expect(pc.RunLoops(ctx, sw.To, 2)).To(Succeed())
		Eventually(jsonpath("rslot/detect-cdc", "{.status.vanished}", "-n", ns), 90*time.Second).Should(Not(BeElementOf("", "0")))
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", ns, "--timeout=60s")

		By("the data gap window runs from before the first loss to after the last")
		var rec string
		Eventually(func(g Gomega) {
			got, err := jsonpath("rslot/detect-cdc", "{.status.lastDataGap.fromLSN} {.status.lastDataGap.recreations} {.status.recreations}", "-n", ns)()
			g.Expect(err).NotTo(HaveOccurred())
			f := strings.Fields(got)
			g.Expect(f).To(HaveLen(3))
			rec = f[2]
			g.Expect(strconv.Atoi(rec)).To(BeNumerically(">=", 2))
			g.Expect(f[:2]).To(Equal([]string{from, rec}), "one window from where the consumer stood before the switchover, covering every recreation")
		}).Should(Succeed())
		Expect(kubectl("get", "rslot/detect-cdc", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="DataGap")].message}`)).
			To(And(ContainSubstring(from), ContainSubstring(rec+" times"), ContainSubstring("Patroni runs this cluster and most likely dropped it")))
		Expect(kubectl("events", "-n", ns, "--for", "rslot/detect-cdc")).To(ContainSubstring("Patroni runs this cluster and most likely dropped it"))
	})

	It("with ignoreSlots Report: names the slots Patroni would drop, until ignore_slots covers them", func(ctx SpecContext) {
		const ns = "e2e-patroni-report"
		kubectlIn(patroniManifest(ns, pc, "Report")+patroniSlots(ns, "report"), "apply", "-f", "-")
		DeferCleanup(deletePatroniObjects, ns)
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", ns, "--timeout=60s")
		Eventually(jsonpath("pgserver/db", haCondition+" {.status.haManager.version} {.status.haManager.scope}", "-n", ns)).
			Should(Equal("False NotCovered 3.0.2 e2e"))
		Expect(kubectl("get", "pgserver/db", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="HAManagerCoversSlots")].message}`)).
			To(And(ContainSubstring("2 of 2"), ContainSubstring("report_cdc"), ContainSubstring("report_replica"), ContainSubstring("patronictl edit-config")))
		Eventually(jsonpath("rslot/report-cdc", `{.status.conditions[?(@.type=="Ready")].message}`, "-n", ns)).
			Should(ContainSubstring("Patroni will drop this slot"))

		By("ignore_slots covering both: one entry by name, one nameless matcher of physical slots")
		_, err := pc.PatchConfig(ctx, pc.Members()[0].Name, map[string]any{"ignore_slots": []any{
			map[string]any{"name": "report_cdc"}, map[string]any{"type": "physical"}}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) {
			_, err := pc.PatchConfig(ctx, pc.Members()[0].Name, map[string]any{"ignore_slots": nil})
			Expect(err).NotTo(HaveOccurred())
		})
		Eventually(jsonpath("pgserver/db", haCondition, "-n", ns), 90*time.Second).Should(Equal("True Covered"))
		Eventually(jsonpath("rslot/report-cdc", `{.status.conditions[?(@.type=="Ready")].message}`, "-n", ns), 90*time.Second).
			ShouldNot(ContainSubstring("Patroni"))
		Expect(ignoreSlots(ctx, pc)).To(HaveLen(2), "Report never writes Patroni's configuration")
	})

	It("with ignoreSlots Manage: Patroni drops nothing across switchovers and restarts, and only slotkeeper's entries change", func(ctx SpecContext) {
		const ns = "e2e-patroni-manage"
		foreign := map[string]any{"name": "kept_by_someone", "type": "physical"}
		_, err := pc.PatchConfig(ctx, pc.Members()[0].Name, map[string]any{"ignore_slots": []any{foreign}})
		Expect(err).NotTo(HaveOccurred())
		kubectlIn(patroniManifest(ns, pc, "Manage")+patroniSlots(ns, "manage"), "apply", "-f", "-")
		DeferCleanup(deletePatroniObjects, ns)
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", ns, "--timeout=60s")
		Expect(kubectl("get", "rslot", "-n", ns, "-o", "jsonpath={.items[*].status.ignoreSlotsEntry}")).To(Equal("Added Added"))
		Expect(ignoreSlots(ctx, pc)).To(ConsistOf(foreign, cdcEntry("manage_cdc"), physEntry("manage_replica")))
		Eventually(jsonpath("pgserver/db", haCondition, "-n", ns)).Should(Equal("True Covered"))

		for i := 1; i <= 2; i++ {
			By(fmt.Sprintf("switchover %d: one recreation each, none by Patroni", i))
			sw, err := pc.Switchover(ctx, "")
			Expect(err).NotTo(HaveOccurred())
			waitOnLeaderCounted(ns, memberAddr(pc, sw.To), i, "manage-cdc", "manage-replica")
			Expect(pc.Settle(ctx)).To(Succeed())
			// The second switchover goes back to the first leader, whether
			// or not slotkeeper has dropped its stale slots there by then: a
			// stale slot found on the promoted member is dropped and
			// recreated, one recreation like any other.
			expectRecreations(pc, ns, i, "manage-cdc", "manage-replica")
		}

		By("a Patroni restart on the leader drops nothing")
		leader, err := pc.Leader(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(pc.KillPatroni(ctx, leader)).To(Succeed())
		Expect(pc.StartPatroni(ctx, leader)).To(Succeed())
		Expect(pc.RunLoops(ctx, leader, 2)).To(Succeed())
		Consistently(jsonpath("rslot/manage-cdc", "{.status.recreations} {.status.vanished}", "-n", ns), "5s").Should(Equal("2 "))
		expectRecreations(pc, ns, 2, "manage-cdc", "manage-replica")

		By("deleting a ReplicationSlot removes its entry after the drop, and nothing else")
		kubectl("delete", "rslot/manage-cdc", "-n", ns, "--timeout=60s")
		Expect(slotOn(ctx, pc, leader, "manage_cdc")).To(BeFalse())
		Expect(ignoreSlots(ctx, pc)).To(ConsistOf(foreign, physEntry("manage_replica")))
	})

	It("with Patroni's REST API down or refusing: a clear condition, and the slots are still managed", func(ctx SpecContext) {
		const ns = "e2e-patroni-down"
		kubectlIn(patroniManifest(ns, pc, "Manage", "http://127.0.0.1:1", "http://127.0.0.1:2")+patroniSlots(ns, "down"), "apply", "-f", "-")
		DeferCleanup(deletePatroniObjects, ns)
		Eventually(jsonpath("pgserver/db", haCondition, "-n", ns)).Should(Equal("Unknown HAManagerUnreachable"))
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", ns, "--timeout=60s")
		Expect(kubectl("get", "rslot/down-cdc", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].message}`)).
			To(ContainSubstring("could not add the slot to Patroni's ignore_slots (no Patroni REST API answered)"))

		By("a Patroni that asks for credentials slotkeeper does not have")
		auth, err := pgtest.StartPatroni(ctx, pgtest.PatroniOptions{Scope: "e2e-auth", Members: 1, TTL: 12, LoopWait: 2, RetryTimeout: 4,
			RESTUsername: "admin", RESTPassword: "not-given"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(auth.Stop)
		authLeader, err := auth.WaitLeader(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(auth.Exec(ctx, authLeader, createRoleSQL)).To(Succeed())
		const authNS = "e2e-patroni-auth"
		kubectlIn(patroniManifest(authNS, auth, "Manage")+patroniSlots(authNS, "auth"), "apply", "-f", "-")
		DeferCleanup(deletePatroniObjects, authNS)
		kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", authNS, "--timeout=60s")
		Eventually(jsonpath("pgserver/db", haCondition, "-n", authNS)).Should(Equal("False HAManagerUnauthorized"))
		Expect(kubectl("get", "pgserver/db", "-n", authNS, "-o", `jsonpath={.status.conditions[?(@.type=="HAManagerCoversSlots")].message}`)).
			To(And(ContainSubstring("401"), ContainSubstring("credentialsSecretRef")))
		Expect(kubectl("get", "rslot/auth-cdc", "-n", authNS, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].message}`)).
			To(ContainSubstring("refused the write: 401 or 403"))
	})
})

const (
	haCondition = `{.status.conditions[?(@.type=="HAManagerCoversSlots")].status} {.status.conditions[?(@.type=="HAManagerCoversSlots")].reason}`
)

// createRoleSQL makes the role the operator logs in with, as the samples'
// servers have it: REPLICATION and pg_monitor, not superuser.
var createRoleSQL = "CREATE ROLE " + harness.Role + " LOGIN REPLICATION PASSWORD '" + harness.Password + "' IN ROLE pg_monitor"

// patroniManifest declares the cluster's members, and spec.patroni with
// every member's REST API when mode is set (urls replace those when given).
func patroniManifest(ns string, pc *pgtest.PatroniCluster, mode string, urls ...string) string {
	var hosts, urlList strings.Builder
	for _, m := range pc.Members() {
		fmt.Fprintf(&hosts, "  - {host: %s, port: %d}\n", m.PGHost, m.PGPort)
		if len(urls) == 0 {
			fmt.Fprintf(&urlList, "    - %s\n", m.RESTURL)
		}
	}
	for _, u := range urls {
		fmt.Fprintf(&urlList, "    - %s\n", u)
	}
	manifest := hostsManifest(ns, time.Second, hosts.String())
	if mode != "" {
		manifest += fmt.Sprintf("  patroni:\n    ignoreSlots: %s\n    urls:\n%s", mode, urlList.String())
	}
	return manifest
}

// patroniSlots declares a logical slot <prefix>_cdc and a physical one
// <prefix>_replica.
func patroniSlots(ns, prefix string) string {
	return fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: %[2]s-cdc, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: postgres}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: %[2]s-replica, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Physical}
`, ns, prefix)
}

func deletePatroniObjects(ns string) {
	kubectl("delete", "rslot", "--all", "-n", ns, "--timeout=60s")
	kubectl("delete", "pgserver", "--all", "-n", ns, "--timeout=60s")
}

func cdcEntry(name string) map[string]any {
	return map[string]any{"name": name, "type": "logical", "database": "postgres", "plugin": "pgoutput"}
}

func physEntry(name string) map[string]any {
	return map[string]any{"name": name, "type": "physical"}
}

// ignoreSlots is Patroni's ignore_slots as the DCS holds it now.
func ignoreSlots(ctx context.Context, pc *pgtest.PatroniCluster) []any {
	GinkgoHelper()
	cfg, err := pc.PatchConfig(ctx, pc.Members()[0].Name, map[string]any{"e2e_fresh_read": nil})
	Expect(err).NotTo(HaveOccurred())
	l, _ := cfg["ignore_slots"].([]any)
	return l
}

// waitOnLeader waits until every named slot is Ready on the new leader.
func waitOnLeader(ns, addr string, names ...string) {
	GinkgoHelper()
	for _, n := range names {
		Eventually(jsonpath("rslot/"+n, "{.status.host} "+readyReason, "-n", ns)).Should(Equal(addr + " Available"))
	}
}

// waitOnLeaderCounted is waitOnLeader for objects that must have counted
// want recreations by the time status names the new leader: a sample that
// shows them there, Ready, with another count fails at once (a status that
// told the new host before the recreation and its gap).
func waitOnLeaderCounted(ns, addr string, want int, names ...string) {
	GinkgoHelper()
	for _, n := range names {
		Eventually(func(g Gomega) {
			out, err := jsonpath("rslot/"+n, "{.status.host} "+readyReason+" {.status.recreations}", "-n", ns)()
			g.Expect(err).NotTo(HaveOccurred())
			f := strings.Fields(out)
			g.Expect(f).To(HaveLen(3), "host, Ready reason and recreations of %s: %q", n, out)
			if f[0] == addr && f[1] == "Available" && f[2] != strconv.Itoa(want) {
				StopTrying(fmt.Sprintf("%s is Ready on the new leader %s with %s recreations counted, want %d", n, addr, f[2], want)).Now()
			}
			g.Expect(f[:2]).To(Equal([]string{addr, "Available"}))
		}).Should(Succeed())
	}
}

// expectRecreations waits for each named object to count want
// recreations and no vanishing, after Patroni has settled; an overshoot
// (a second recreation, a vanishing) fails with what the rig and the
// object saw.
func expectRecreations(pc *pgtest.PatroniCluster, ns string, want int, names ...string) {
	GinkgoHelper()
	for _, n := range names {
		Eventually(jsonpath("rslot/"+n, "{.status.recreations} {.status.vanished}", "-n", ns)).
			Should(Equal(fmt.Sprintf("%d ", want)), func() string { return recreationsStory(pc, ns, n) })
	}
}

// recreationsStory says why a count of recreations is not the one
// expected: what the rig did behind the test's back (a Patroni restarted
// by its watchdog can fail over on its own), then the object's Events.
func recreationsStory(pc *pgtest.PatroniCluster, ns, name string) string {
	return fmt.Sprintf("%s: one recreation per switchover, none because Patroni dropped it; rig incidents: %v; events:\n%s",
		name, pc.Incidents(), kubectl("events", "-n", ns, "--for", "rslot/"+name))
}

func confirmedOn(ctx context.Context, pc *pgtest.PatroniCluster, member, slot string) string {
	GinkgoHelper()
	var lsn string
	Expect(pc.QueryRow(ctx, member, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
		[]any{slot}, &lsn)).To(Succeed())
	return lsn
}

func slotOn(ctx context.Context, pc *pgtest.PatroniCluster, member, slot string) bool {
	GinkgoHelper()
	var n int
	Expect(pc.QueryRow(ctx, member, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", []any{slot}, &n)).To(Succeed())
	return n == 1
}

func memberAddr(pc *pgtest.PatroniCluster, name string) string {
	GinkgoHelper()
	m, err := pc.Member(name)
	Expect(err).NotTo(HaveOccurred())
	return m.PGAddr()
}
