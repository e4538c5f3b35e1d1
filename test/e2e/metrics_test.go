package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	// metricsNS holds this story's objects, away from the samples' own
	// PostgresServer on the same PostgreSQL pair.
	metricsNS = "e2e-metrics"
	// metricsPoll is the server's spec.pollInterval: short, so the probe
	// histogram fills and the figures settle quickly.
	metricsPoll = time.Second
	// unmanagedSlot is made with SQL, as Debezium would; no ReplicationSlot
	// names it.
	unmanagedSlot = "debezium_metrics_e2e"
	// walTable receives the INSERTs that move the WAL past the slots.
	walTable = "metrics_e2e"
	// cdcBudget is the logical slot's spec.maxRetainedWAL (1Gi).
	cdcBudget = 1 << 30
	// defaultUnmanagedBudget is spec.maxUnmanagedRetainedWAL when unset (10Gi).
	defaultUnmanagedBudget = 10 << 30
	// figuresSettle bounds the wait for the WAL figures. An idle Ready
	// slot republishes them when it is reconciled, every 30 s, and
	// PostgreSQL's own background WAL (the bgwriter's running-transactions
	// record 15 s after activity, autovacuum's ANALYZE of walTable) can
	// move the WAL again just after: a match may take a second refresh.
	figuresSettle = 2 * time.Minute
)

// The two ReplicationSlots: object name and slot name in PostgreSQL.
var (
	cdcSlot     = metricsSlot{name: "metrics-cdc", slot: "metrics_cdc"}
	replicaSlot = metricsSlot{name: "metrics-replica", slot: "metrics_replica"}
)

type metricsSlot struct{ name, slot string }

// labels are the series labels of the slot's object.
func (s metricsSlot) labels() map[string]string {
	return map[string]string{"namespace": metricsNS, "name": s.name, "slot": s.slot, "server": "db"}
}

// serverLabels are the series labels of the PostgresServer.
var serverLabels = map[string]string{"namespace": metricsNS, "server": "db"}

// walStatuses are the values pg_replication_slots.wal_status takes.
var walStatuses = []string{"reserved", "extended", "unreserved", "lost"}

// The operator's /metrics against PostgreSQL itself: every figure is
// compared with what pg_replication_slots and the WAL position say, not
// with status, which derives from the same code.
var _ = Describe("metrics", Ordered, ContinueOnFailure, func() {
	var url string
	// walWritten is when the INSERTs committed: the exported WAL figures
	// lag until a probe after it has been published.
	var walWritten time.Time

	BeforeAll(func() {
		url = restartOperatorWithMetrics()
		createUnmanagedSlot()
		applyMetricsObjects()
		walWritten = writeWAL()
	})

	It("exports each slot's figures as PostgreSQL shows them", func() {
		Eventually(func(g Gomega) {
			before := readSlotTruths(g)
			f := mustScrape(g, url)
			after := readSlotTruths(g)
			expectSlotFlags(g, f, cdcSlot)
			expectSlotFlags(g, f, replicaSlot)
			expectWALFigures(g, f, cdcSlot, before, after)
			expectWALFigures(g, f, replicaSlot, before, after)
			expectOptionalFigures(g, f, cdcSlot, after[cdcSlot.slot])
			expectOptionalFigures(g, f, replicaSlot, after[replicaSlot.slot])
			expectBudgets(g, f)
		}).WithTimeout(figuresSettle).WithPolling(500 * time.Millisecond).Should(Succeed())
		AddReportEntry("INSERTs committed to /metrics matching PostgreSQL",
			time.Since(walWritten).Round(time.Millisecond).String())
	})

	It("exports the server's figures as PostgreSQL shows them", func() {
		Eventually(func(g Gomega) {
			f := mustScrape(g, url)
			expectServerUp(g, f)
			expectMembers(g, f)
			expectUnmanaged(g, f, readUnmanagedTruth(g))
		}).WithPolling(500 * time.Millisecond).Should(Succeed())
	})

	It("lists the unmanaged slot with its likely owner in the PostgresServer's status", func() {
		Eventually(func(g Gomega) {
			st := readServerStatus(g)
			g.Expect(st.UnmanagedSlots).To(ContainElement(SatisfyAll(
				HaveField("Name", unmanagedSlot), HaveField("LikelyOwner", ContainSubstring("Debezium")))))
			g.Expect(st.Conditions).To(ContainElement(SatisfyAll(HaveField("Type", "UnmanagedWALRetentionHealthy"),
				HaveField("Status", "True"), HaveField("Reason", "WithinBudget"))))
		}).Should(Succeed())
	})

	It("drops every series of a deleted ReplicationSlot and keeps the others'", func() {
		f, err := scrape(url)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.familiesWith(cdcSlot.labels())).NotTo(BeEmpty(), "nothing to see disappear")
		kubectl("delete", "rslot/"+cdcSlot.name, "-n", metricsNS, "--wait", "--timeout=60s")
		// The reconcile that finds the object gone forgets its series at
		// once; no poll is involved.
		Eventually(func(g Gomega) {
			f := mustScrape(g, url)
			g.Expect(f.familiesWith(cdcSlot.labels())).To(BeEmpty(), "series of the deleted %s", cdcSlot.name)
			g.Expect(f.familiesWith(replicaSlot.labels())).NotTo(BeEmpty(), "series of the remaining %s", replicaSlot.name)
		}).WithTimeout(10 * time.Second).Should(Succeed())
	})

	It("drops every series of the namespace once its server and slots are deleted", func() {
		deleteFailoverObjects(metricsNS)
		Eventually(func(g Gomega) {
			g.Expect(mustScrape(g, url).familiesWith(map[string]string{"namespace": metricsNS})).To(BeEmpty(),
				"series left in %s", metricsNS)
		}).WithTimeout(10 * time.Second).Should(Succeed())
	})
})

// restartOperatorWithMetrics replaces the suite's operator by one that
// serves /metrics over plain HTTP on a free local port, and returns the
// URL. Plain: these specs are about what the series say, and
// metrics_secure_test.go about who may read them.
func restartOperatorWithMetrics() string {
	GinkgoHelper()
	return "http://" + replaceOperator("operator-metrics.log", "--metrics-secure=false") + "/metrics"
}

// replaceOperator replaces the suite's operator by one that serves /metrics
// on a free local port, with the extra flags, and returns that address. Two
// operators would both act, hence a replacement, not a second process. The
// global operator points at the running process, so the suite's checks
// apply. logName is the new process's log, next to the suite's.
func replaceOperator(logName string, extra ...string) string {
	GinkgoHelper()
	normal := operator
	killed := normal.Stop(operatorStopGrace)
	// Registered before anything else, so it runs last, after the objects
	// are gone: whatever fails, later specs get their usual operator back.
	DeferCleanup(restoreOperator, normal)
	Expect(killed).To(BeFalse(), "the operator needed SIGKILL to stop")
	addr := "127.0.0.1:" + strconv.Itoa(freeLocalPort())
	// A log of its own: StartOperator truncates, and the suite's log must
	// keep every earlier process's lines for the panic check.
	logPath := filepath.Join(filepath.Dir(normal.LogPath), logName)
	args := append([]string{"--metrics-bind-address=" + addr}, extra...)
	withMetrics, err := harness.StartOperator(paths.Manager, kube.Kubeconfig, logPath, args...)
	Expect(err).NotTo(HaveOccurred())
	operator = withMetrics
	return addr
}

// restoreOperator stops the operator with metrics, checks its log as the
// suite checks its own, and starts the suite's operator again.
func restoreOperator(normal *harness.Operator) {
	GinkgoHelper()
	if withMetrics := operator; withMetrics != normal {
		Expect(withMetrics.Stop(operatorStopGrace)).To(BeFalse(), "the operator with metrics needed SIGKILL to stop")
		log, err := withMetrics.Log()
		Expect(err).NotTo(HaveOccurred())
		Expect(linesMatching(log, panicLine)).To(BeEmpty(), "the operator with metrics logged a panic")
	}
	again, err := normal.StartAgain()
	Expect(err).NotTo(HaveOccurred())
	operator = again
}

// createUnmanagedSlot makes an inactive logical slot the way a CDC tool
// does, behind the operator's back.
func createUnmanagedSlot() {
	GinkgoHelper()
	ctx := context.Background()
	Expect(pg.Primary.Exec(ctx, fmt.Sprintf(
		"SELECT pg_create_logical_replication_slot('%s', 'pgoutput')", unmanagedSlot))).To(Succeed())
	DeferCleanup(func() {
		Expect(pg.Primary.Exec(context.Background(), fmt.Sprintf(
			"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'",
			unmanagedSlot))).To(Succeed())
	})
}

// applyMetricsObjects declares the server and both slots and waits until
// they are Ready.
func applyMetricsObjects() {
	GinkgoHelper()
	kubectlIn(metricsManifest(), "apply", "-f", "-")
	// Registered last, so it runs first: the slots go while the operator
	// and PostgreSQL still answer.
	DeferCleanup(deleteFailoverObjects, metricsNS)
	kubectl("wait", "--for=condition=Ready", "pgserver/db", "-n", metricsNS, "--timeout=60s")
	kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", metricsNS, "--timeout=60s")
}

// metricsManifest is serverManifest for pg's primary and standby with a
// logical slot that has a WAL budget and a physical one that has none.
func metricsManifest() string {
	return serverManifest(metricsNS, metricsPoll, pg.Primary, pg.Standby) + fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: %[2]s, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[4]s, plugin: test_decoding, maxRetainedWAL: 1Gi}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: %[3]s, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Physical}
`, metricsNS, cdcSlot.name, replicaSlot.name, harness.Database)
}

// writeWAL moves the WAL past both slots' restart_lsn, so retained bytes
// are above zero, and returns when it committed.
func writeWAL() time.Time {
	GinkgoHelper()
	ctx := context.Background()
	// pgtest runs with synchronous_commit off: without it here the commit
	// returns before pg_current_wal_lsn() shows the INSERTs, and a stale
	// figure would pass for a fresh one.
	Expect(pg.Primary.Exec(ctx, fmt.Sprintf(`SET synchronous_commit = on;
		CREATE TABLE %[1]s (id int, payload text);
		INSERT INTO %[1]s SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g`, walTable))).To(Succeed())
	DeferCleanup(func() {
		Expect(pg.Primary.Exec(context.Background(), "DROP TABLE IF EXISTS "+walTable)).To(Succeed())
	})
	return time.Now()
}

func mustScrape(g Gomega, url string) families {
	f, err := scrape(url)
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return f
}

// familiesWith names the families that hold a series with the labels.
func (f families) familiesWith(labels map[string]string) []string {
	var names []string
	for name := range f {
		if len(f.series(name, labels)) > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// slotTruth is one slot's row of pg_replication_slots, its figures taken
// against the primary's current WAL position.
type slotTruth struct {
	retained, lag int64
	walStatus     string
	// NULL in PostgreSQL, nil here: the operator must export no series.
	safeWALSize, inactiveSince *int64
	invalidation               *string
}

// readSlotTruths reads both slots in one statement, so they share one WAL
// position.
func readSlotTruths(g Gomega) map[string]slotTruth {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pg.Primary.Connect(ctx, "postgres")
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT slot_name, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
		pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(confirmed_flush_lsn, restart_lsn))::bigint, wal_status,
		safe_wal_size, floor(extract(epoch FROM inactive_since))::bigint, invalidation_reason
		FROM pg_replication_slots WHERE slot_name = ANY($1)`, []string{cdcSlot.slot, replicaSlot.slot})
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string]slotTruth{}
	for rows.Next() {
		var name string
		var t slotTruth
		g.Expect(rows.Scan(&name, &t.retained, &t.lag, &t.walStatus,
			&t.safeWALSize, &t.inactiveSince, &t.invalidation)).To(Succeed())
		out[name] = t
	}
	g.Expect(rows.Err()).NotTo(HaveOccurred())
	g.Expect(out).To(HaveLen(2), "both slots on the primary")
	return out
}

// expectSlotFlags: Ready, no consumer, never blocked, recreated or gapped.
func expectSlotFlags(g Gomega, f families, s metricsSlot) {
	l := s.labels()
	f.expect(g, "slotkeeper_slot_ready", l, Equal(1.0))
	f.expect(g, "slotkeeper_slot_active", l, Equal(0.0))
	f.expect(g, "slotkeeper_slot_creation_blocked_seconds", l, Equal(0.0))
	f.expect(g, "slotkeeper_slot_data_gap", l, Equal(0.0))
	g.Expect(f.typeOf("slotkeeper_slot_recreations_total")).To(Equal(dto.MetricType_COUNTER))
	f.expect(g, "slotkeeper_slot_recreations_total", l, Equal(0.0))
}

// expectWALFigures: wal_status as PostgreSQL says, and retained WAL and lag
// between what PostgreSQL said just before and just after the scrape (the
// WAL moves on; an exact match would be luck).
func expectWALFigures(g Gomega, f families, s metricsSlot, before, after map[string]slotTruth) {
	l := s.labels()
	for _, st := range walStatuses {
		want := 0.0
		if st == after[s.slot].walStatus {
			want = 1
		}
		f.expect(g, "slotkeeper_slot_wal_status", withLabel(l, "status", st), Equal(want))
	}
	b, a := before[s.slot], after[s.slot]
	f.expect(g, "slotkeeper_slot_retained_wal_bytes", l, SatisfyAll(BeNumerically(">", 0),
		BeNumerically(">=", b.retained), BeNumerically("<=", a.retained)))
	f.expect(g, "slotkeeper_slot_lag_bytes", l, SatisfyAll(BeNumerically(">=", 0),
		BeNumerically(">=", b.lag), BeNumerically("<=", a.lag)))
}

// expectOptionalFigures: the series PostgreSQL may leave NULL exist
// exactly when it does not, with its value. Neither slot asks for
// failover, so neither has a failover_ready series.
func expectOptionalFigures(g Gomega, f families, s metricsSlot, t slotTruth) {
	l := s.labels()
	expectOptional(g, f, "slotkeeper_slot_safe_wal_size_bytes", l, t.safeWALSize)
	expectOptional(g, f, "slotkeeper_slot_inactive_since_timestamp_seconds", l, t.inactiveSince)
	g.Expect(t.invalidation).To(BeNil(), "%s is not invalidated in PostgreSQL", s.slot)
	g.Expect(f.series("slotkeeper_slot_invalidated", l)).To(BeEmpty(), s.name)
	g.Expect(f.series("slotkeeper_slot_failover_ready", l)).To(BeEmpty(), s.name)
}

func expectOptional(g Gomega, f families, name string, l map[string]string, want *int64) {
	if want == nil {
		g.ExpectWithOffset(1, f.series(name, l)).To(BeEmpty(), "%s%v: NULL in PostgreSQL", name, l)
		return
	}
	f.expect(g, name, l, Equal(float64(*want)))
}

// expectBudgets: only the slot with spec.maxRetainedWAL has a budget series.
func expectBudgets(g Gomega, f families) {
	f.expect(g, "slotkeeper_slot_wal_budget_bytes", cdcSlot.labels(), Equal(float64(cdcBudget)))
	g.Expect(f.series("slotkeeper_slot_wal_budget_bytes", replicaSlot.labels())).To(BeEmpty(),
		"a slot without spec.maxRetainedWAL has no budget")
}

// expectServerUp: one primary, on the primary's timeline, no failover.
func expectServerUp(g Gomega, f families) {
	f.expect(g, "slotkeeper_server_up", serverLabels, Equal(1.0))
	f.expect(g, "slotkeeper_server_timeline", serverLabels, Equal(float64(readTimeline(g))))
	g.Expect(f.typeOf("slotkeeper_server_failovers_total")).To(Equal(dto.MetricType_COUNTER))
	f.expect(g, "slotkeeper_server_failovers_total", serverLabels, Equal(0.0))
}

// readTimeline is the primary's current timeline: the first eight hex
// digits of the WAL file it writes.
func readTimeline(g Gomega) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pg.Primary.Connect(ctx, "postgres")
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	var walFile string
	g.Expect(conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_current_wal_lsn())").Scan(&walFile)).To(Succeed())
	tli, err := strconv.ParseInt(walFile[:8], 16, 64)
	g.Expect(err).NotTo(HaveOccurred())
	return tli
}

// expectMembers: both answer, only the primary is one, and each was probed.
func expectMembers(g Gomega, f families) {
	for member, primary := range map[string]float64{pg.Primary.Addr(): 1, pg.Standby.Addr(): 0} {
		l := withLabel(serverLabels, "member", member)
		f.expect(g, "slotkeeper_server_member_up", l, Equal(1.0))
		f.expect(g, "slotkeeper_server_member_is_primary", l, Equal(primary))
		g.Expect(f.typeOf("slotkeeper_server_probe_duration_seconds")).To(Equal(dto.MetricType_HISTOGRAM))
		probes := f.one(g, "slotkeeper_server_probe_duration_seconds", l).GetHistogram()
		g.Expect(probes.GetSampleCount()).To(BeNumerically(">", 0), "probes of %s", member)
	}
	g.Expect(f.series("slotkeeper_server_member_up", serverLabels)).To(HaveLen(2), "exactly the two members")
}

// unmanagedTruth counts the primary's slots that neither ReplicationSlot of
// this server names: the standby's own, the one made with SQL and whatever
// other specs' servers keep on the same pair.
type unmanagedTruth struct{ active, inactive int }

func readUnmanagedTruth(g Gomega) unmanagedTruth {
	slots, err := harness.Slots(context.Background(), pg.Primary)
	g.Expect(err).NotTo(HaveOccurred())
	var t unmanagedTruth
	for _, s := range slots {
		switch {
		case s.Name == cdcSlot.slot || s.Name == replicaSlot.slot:
		case s.Active:
			t.active++
		default:
			t.inactive++
		}
	}
	return t
}

// expectUnmanaged: the counts by state match PostgreSQL, and the budget is
// the default.
func expectUnmanaged(g Gomega, f families, t unmanagedTruth) {
	g.Expect(t.inactive).To(BeNumerically(">=", 1), "%s is inactive", unmanagedSlot)
	f.expect(g, "slotkeeper_server_unmanaged_slots", withLabel(serverLabels, "state", "inactive"), Equal(float64(t.inactive)))
	f.expect(g, "slotkeeper_server_unmanaged_slots", withLabel(serverLabels, "state", "active"), Equal(float64(t.active)))
	f.expect(g, "slotkeeper_server_unmanaged_wal_budget_bytes", serverLabels, Equal(float64(defaultUnmanagedBudget)))
}

// serverStatus is the part of the PostgresServer's status this story reads,
// as kubectl prints it.
type serverStatus struct {
	UnmanagedSlots []struct {
		Name        string `json:"name"`
		LikelyOwner string `json:"likelyOwner"`
	} `json:"unmanagedSlots"`
	Conditions []struct {
		Type   string `json:"type"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"conditions"`
}

func readServerStatus(g Gomega) serverStatus {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	out, err := kctl.Output(ctx, "get", "pgserver/db", "-n", metricsNS, "-o", "json")
	g.Expect(err).NotTo(HaveOccurred())
	var obj struct {
		Status serverStatus `json:"status"`
	}
	g.Expect(json.Unmarshal([]byte(out), &obj)).To(Succeed())
	return obj.Status
}
