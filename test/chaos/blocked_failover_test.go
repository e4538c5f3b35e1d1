package chaos

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// Sizes of the scenario, by form. The full form declares more logical slots
// than the creator runs at once per server (4), so some wait queued, not
// blocked, when the primary dies.
const (
	blockedLogicalShort = 3
	blockedLogicalFull  = 6
)

// blockerApp is the application_name of the session that blocks creation:
// status must name it.
const blockerApp = "chaos-bf-blocker"

func blockedLogicalCount() int {
	if full {
		return blockedLogicalFull
	}
	return blockedLogicalShort
}

// Scenario: the primary dies while logical slot creations wait for an
// open transaction on it. PostgreSQL never finished those slots, so the
// new primary must get each of them once, and nobody lost any data.
var _ = Describe("failover while a creation is blocked", Label("failover", "blocked"), func() {
	It("creates the blocked slots once on the new primary and reports no data gap for them", func() {
		start := time.Now()
		old, standby, front := startFailoverPair()
		s := newScenarioOn("bf", old, front.Host(), front.Port())
		// Both before the blocker opens: a logical slot on the standby would
		// wait for it too, and the control must have been observed.
		standbyCanaries := createStandbyCanaries(old, standby, s.prefix()+"sb_")
		control := s.declareControl()

		b := openBlocker(old)
		logical := s.declareLogical(blockedLogicalCount())
		// Objects that misreport their wait are asserted on at the end, so
		// that every run also shows what the failover does to them.
		blocked, untold := s.waitBlocked(logical, b)
		reportSessions(old, s.role)
		expectWaitingInPostgres(old, s.role, b, blocked)
		before, err := s.slots()
		Expect(err).NotTo(HaveOccurred())
		oldTimeline := s.timeline()

		promoted := crashAndPromote(old, standby, front)
		s.pg, s.canaries = standby, standbyCanaries
		all := append([]string{control}, logical...)
		Eventually(s.readyAfter).WithArguments(all, oldTimeline).WithTimeout(convergeBound(len(all))).
			WithPolling(250*time.Millisecond).Should(Equal(len(all)), "every object Ready on the new primary")
		report("blocked failover: from promotion to all Ready", time.Since(promoted).Round(100*time.Millisecond))

		s.expectInvariants(nil, slotsMayBeLost)
		expectLossesReported(s, before)
		timeline := s.expectOneFailover(oldTimeline)
		s.expectCreatedFresh(logical, timeline)
		expectNoHalfCreatedSlots(standby, s.prefix())
		s.expectMetricsAgree(all)
		expectNoHalfCreatedSlotsAfterRestart(old, logical)
		report("blocked failover took", time.Since(start).Round(time.Second))
		Expect(untold).To(BeEmpty(), "before the crash, waiting creations that said neither CreationBlocked nor queued")
	})
})

// declareControl declares a physical slot and waits until it is Ready: it
// is observed before the failover, so losing it is a recreation (physical,
// so without a data gap), unlike the logical slots that never existed.
func (s *scenario) declareControl() string {
	GinkgoHelper()
	name := s.name + "-control"
	create(s.slotObject(name, api.SlotPhysical))
	Eventually(s.readyCount).WithArguments([]string{name}).Should(Equal(1), "the physical control is Ready")
	return name
}

// declareLogical declares n logical slots named <scenario>-blk-NNN.
func (s *scenario) declareLogical(n int) []string {
	GinkgoHelper()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s-blk-%03d", s.name, i)
		create(s.slotObject(names[i], api.SlotLogical))
	}
	return names
}

// blocker is a session holding an open transaction with an xid: every
// logical slot creation that starts after it waits for it to end.
type blocker struct {
	pid int32
	xid string // backend_xid, as status shows it
}

func openBlocker(pg *pgtest.Server) blocker {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.SuperuserDSN(database)+"&application_name="+blockerApp)
	Expect(err).NotTo(HaveOccurred())
	holdXact(ctx, conn)
	var b blocker
	Expect(conn.QueryRow(ctx, `SELECT pg_backend_pid(), backend_xid::text FROM pg_stat_activity
		WHERE pid = pg_backend_pid()`).Scan(&b.pid, &b.xid)).To(Succeed())
	report("blocked failover: blocker", fmt.Sprintf("pid %d, xid %s", b.pid, b.xid))
	return b
}

// waitBlocked waits until at least one object shows CreationBlocked
// naming the blocker, then until each logical object either does or says
// it is queued behind the creations that are blocked. It returns how many
// are blocked and, if some never told either within untoldBound, what
// they showed instead.
func (s *scenario) waitBlocked(names []string, b blocker) (int, []string) {
	GinkgoHelper()
	var blocked, queued int
	var problems []string
	Eventually(func() (int, error) {
		var err error
		blocked, queued, problems, err = s.blockedState(names, b)
		return blocked, err
	}).WithTimeout(2*time.Minute).WithPolling(500*time.Millisecond).
		Should(BeNumerically(">=", 1), "no object shows CreationBlocked naming pid %d", b.pid)
	for deadline := time.Now().Add(untoldBound); len(problems) > 0 && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		var err error
		blocked, queued, problems, err = s.blockedState(names, b)
		Expect(err).NotTo(HaveOccurred())
	}
	report("blocked failover: creations blocked (queued, neither) at the crash",
		fmt.Sprintf("%d (%d, %d)", blocked, queued, len(problems)))
	if len(problems) > 0 {
		report("blocked failover: objects neither blocked nor queued", strings.Join(problems, "\n"))
	}
	return blocked, problems
}

// untoldBound is how long a waiting creation may take to say why it
// waits: a few watcher ticks (1 s) and reconciles, with room.
const untoldBound = 30 * time.Second

// blockedState classifies the objects: blocked by b, queued, or neither
// (a problem, said why).
func (s *scenario) blockedState(names []string, b blocker) (blocked, queued int, problems []string, err error) {
	items, err := s.slots()
	if err != nil {
		return 0, 0, nil, err
	}
	for i := range items {
		rs := &items[i]
		if !slices.Contains(names, rs.Name) {
			continue
		}
		switch why := blockedBy(rs, b); {
		case why == "":
			blocked++
		case isQueued(rs):
			queued++
		default:
			problems = append(problems, fmt.Sprintf("%s: %s; Ready: %s", rs.Name, why, readyText(rs)))
		}
	}
	return blocked, queued, problems, nil
}

// blockedBy says what keeps rs from telling that b blocks its creation, or
// "" when it does: CreationBlocked=True waiting for transactions, b among
// status.blockers with its xid and application, and not Ready.
func blockedBy(rs *api.ReplicationSlot, b blocker) string {
	c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionCreationBlocked)
	switch {
	case c == nil || c.Status != metav1.ConditionTrue:
		return "no CreationBlocked=True"
	case c.Reason != api.ReasonWaitingForTransactions:
		return "CreationBlocked reason " + c.Reason
	case meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionReady):
		return "Ready=True while blocked"
	}
	for _, x := range rs.Status.Blockers {
		if x.PID == b.pid {
			if x.XID != b.xid || x.ApplicationName != blockerApp {
				return fmt.Sprintf("blocker shown as %+v", x)
			}
			return ""
		}
	}
	return fmt.Sprintf("status.blockers %+v does not name pid %d", rs.Status.Blockers, b.pid)
}

func readyText(rs *api.ReplicationSlot) string {
	c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionReady)
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("%s %s %q", c.Status, c.Reason, c.Message)
}

// isQueued: the creation waits for a free lane of the creator, not for a
// transaction.
func isQueued(rs *api.ReplicationSlot) bool {
	c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionReady)
	return c != nil && c.Status == metav1.ConditionFalse && c.Reason == api.ReasonCreating &&
		strings.Contains(c.Message, "waiting for other creations") &&
		!meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionCreationBlocked)
}

// expectWaitingInPostgres: the statuses tell the truth, as PostgreSQL
// sees it: exactly as many of the role's sessions wait on a transaction
// lock held by the blocker as objects say they are blocked.
func expectWaitingInPostgres(pg *pgtest.Server, role string, b blocker, blocked int) {
	GinkgoHelper()
	Eventually(func() (n int, err error) {
		err = withConn(pg, func(ctx context.Context, conn *pgx.Conn) error {
			return conn.QueryRow(ctx, `SELECT count(*)::int FROM pg_stat_activity
				WHERE usename = $1 AND wait_event = 'transactionid' AND $2 = ANY (pg_blocking_pids(pid))`,
				role, b.pid).Scan(&n)
		})
		return n, err
	}).Should(Equal(blocked), "the operator's sessions waiting for pid %d on %s", b.pid, pg.Addr())
}

// reportSessions reports the role's sessions on pg as PostgreSQL shows
// them: what each creation really waits on, beside what status says.
func reportSessions(pg *pgtest.Server, role string) {
	GinkgoHelper()
	lines, err := queryStrings(pg, `SELECT format('pid %s db %s %s wait %s/%s blocked by %s: %s', pid, datname, state,
			wait_event_type, wait_event, pg_blocking_pids(pid), left(query, 80))
		FROM pg_stat_activity WHERE usename = $1 ORDER BY datname, pid`, role)
	Expect(err).NotTo(HaveOccurred())
	report("blocked failover: sessions of "+role+" on the primary before the crash", strings.Join(lines, "\n"))
}

// crashAndPromote crashes the primary (the blocked creations' backends
// die with it), promotes the standby and points the Service at it. It
// returns when the proxy was repointed.
func crashAndPromote(old, standby *pgtest.Server, front *pgtest.Proxy) time.Time {
	GinkgoHelper()
	Expect(old.Crash()).To(Succeed())
	ctx, cancel := ctxFor(time.Minute)
	defer cancel()
	Expect(standby.Promote(ctx)).To(Succeed())
	front.Repoint(standby.Addr())
	return time.Now()
}

// timeline is the primary's timeline as the PostgresServer shows it.
func (s *scenario) timeline() int64 {
	GinkgoHelper()
	ps, err := s.server()
	Expect(err).NotTo(HaveOccurred())
	Expect(ps.Status.Timeline).To(BeNumerically(">", 0))
	return ps.Status.Timeline
}

// readyAfter counts the objects among names that are Ready with their
// slot observed on a timeline after oldTimeline: a Ready written before
// the failover does not count.
func (s *scenario) readyAfter(names []string, oldTimeline int64) (int, error) {
	items, err := s.slots()
	n := 0
	for i := range items {
		if slices.Contains(names, items[i].Name) && isReady(&items[i]) && items[i].Status.ObservedTimeline > oldTimeline {
			n++
		}
	}
	return n, err
}

// expectOneFailover: the PostgresServer counts exactly one failover and
// shows a newer timeline, which it returns.
func (s *scenario) expectOneFailover(oldTimeline int64) int64 {
	GinkgoHelper()
	var ps *api.PostgresServer
	Eventually(func() (int32, error) {
		var err error
		ps, err = s.server()
		return ps.Status.Failovers, err
	}).Should(Equal(int32(1)), "the PostgresServer counts one failover")
	Expect(ps.Status.Timeline).To(BeNumerically(">", oldTimeline), "the PostgresServer shows the promoted timeline")
	return ps.Status.Timeline
}

// expectCreatedFresh: a slot whose creation never finished had no
// consumer and so no data to lose. Its object must say it was created
// (once, on the new timeline), not recreated, and show no data gap in
// status, conditions or Events; the blocked state must be gone.
func (s *scenario) expectCreatedFresh(names []string, timeline int64) {
	GinkgoHelper()
	items, err := s.slots()
	Expect(err).NotTo(HaveOccurred())
	byName := map[string]*api.ReplicationSlot{}
	for i := range items {
		byName[items[i].Name] = &items[i]
	}
	for _, n := range names {
		rs := byName[n]
		Expect(rs).NotTo(BeNil(), n)
		st := &rs.Status
		Expect(st.Recreations).To(BeZero(), "%s never had a slot, yet counts a recreation (gap %+v)", n, st.LastDataGap)
		Expect(st.LastDataGap).To(BeNil(), "%s never had a slot, yet reports a data gap", n)
		Expect(st.DataGapBytesTotal).To(BeZero(), n)
		Expect(meta.IsStatusConditionTrue(st.Conditions, api.ConditionDataGap)).To(BeFalse(), "%s: DataGap=True", n)
		Expect(st.CreatedAt).NotTo(BeNil(), n)
		Expect(st.CreatedOnTimeline).To(Equal(timeline), "%s: created on the new primary's timeline", n)
		Expect(st.Blockers).To(BeEmpty(), "%s: blockers of a finished creation", n)
		c := meta.FindStatusCondition(st.Conditions, api.ConditionCreationBlocked)
		Expect(c == nil || c.Status == metav1.ConditionFalse).To(BeTrue(), "%s: CreationBlocked still %+v", n, c)
	}
	// Events are written asynchronously: wait for the Created ones.
	Eventually(func() map[string]int { return eventCountsOf(eventsPerObject(s.ns, "Created"), names) }).
		Should(HaveEach(1), "one Created Event per logical object")
	Expect(eventCountsOf(eventsPerObject(s.ns, api.ConditionDataGap), names)).To(HaveEach(0), "DataGap Events for slots never created")
	report("blocked failover: logical slots created once on timeline", timeline)
}

func eventCountsOf(m map[string]int, keys []string) map[string]int {
	out := map[string]int{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// expectNoHalfCreatedSlots: no slot of the scenario on pg is temporary,
// still being created (logical without a confirmed position) or held by a
// backend (nothing consumes them: a holder would be a creation left over).
func expectNoHalfCreatedSlots(pg *pgtest.Server, prefix string) {
	GinkgoHelper()
	Eventually(func() ([]string, error) { return halfCreated(pg, prefix) }).
		Should(BeEmpty(), "half-created slots on %s", pg.Addr())
}

func halfCreated(pg *pgtest.Server, prefix string) ([]string, error) {
	return queryStrings(pg, `SELECT format('%s (temporary %s, active pid %s, confirmed %s)',
			slot_name, temporary, active_pid, confirmed_flush_lsn)
		FROM pg_replication_slots
		WHERE starts_with(slot_name, $1)
		  AND (temporary OR active OR (slot_type = 'logical' AND confirmed_flush_lsn IS NULL))`, prefix)
}

// expectMetricsAgree: /metrics tells what status tells: no blocked
// creation left, and the same data gap and recreation figures.
func (s *scenario) expectMetricsAgree(names []string) {
	GinkgoHelper()
	Eventually(func() ([]string, error) { return s.metricDisagreements(names) }).
		Should(BeEmpty(), "slotkeeper_slot_* vs status")
}

func (s *scenario) metricDisagreements(names []string) ([]string, error) {
	fams, err := scrapeMetricFamilies(metricsURL)
	if err != nil {
		return nil, err
	}
	items, err := s.slots()
	if err != nil {
		return nil, err
	}
	var bad []string
	check := func(rs *api.ReplicationSlot, family string, want float64) {
		got, ok := objectSample(fams[family], rs.Namespace, rs.Name)
		if !ok || got != want {
			bad = append(bad, fmt.Sprintf("%s: %s = %v (present %v), want %v", rs.Name, family, got, ok, want))
		}
	}
	for i := range items {
		rs := &items[i]
		if !slices.Contains(names, rs.Name) {
			continue
		}
		check(rs, "slotkeeper_slot_creation_blocked_seconds", 0)
		check(rs, "slotkeeper_slot_data_gap", oneIfTrue(meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionDataGap)))
		check(rs, "slotkeeper_slot_recreations_total", float64(rs.Status.Recreations))
		check(rs, "slotkeeper_slot_data_gap_bytes_total", float64(rs.Status.DataGapBytesTotal))
	}
	return bad, nil
}

func oneIfTrue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// scrapeMetricFamilies reads every metric family from a Prometheus text endpoint.
func scrapeMetricFamilies(url string) (map[string]*dto.MetricFamily, error) {
	body, err := fetch(url)
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(body))
}

// objectSample is the value of the object's series in a gauge or counter
// family.
func objectSample(fam *dto.MetricFamily, ns, name string) (float64, bool) {
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["namespace"] != ns || labels["name"] != name {
			continue
		}
		if g := m.GetGauge(); g != nil {
			return g.GetValue(), true
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue(), true
		}
	}
	return 0, false
}

// expectNoHalfCreatedSlotsAfterRestart starts the crashed former primary
// again (on its own, out of the PostgresServer's reach: the Service points
// elsewhere) and checks that none of the creations it was running left a
// slot behind there either.
func expectNoHalfCreatedSlotsAfterRestart(old *pgtest.Server, logical []string) {
	GinkgoHelper()
	ctx, cancel := ctxFor(time.Minute)
	defer cancel()
	Expect(old.Start(ctx)).To(Succeed())
	slots, err := pgSlots(old)
	Expect(err).NotTo(HaveOccurred())
	for _, n := range logical {
		Expect(slots).NotTo(HaveKey(strings.ReplaceAll(n, "-", "_")), "the former primary kept a slot whose creation never finished")
	}
	Expect(old.Stop()).To(Succeed())
}
