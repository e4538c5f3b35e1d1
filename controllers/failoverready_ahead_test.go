package controllers_test

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// The primary keeps listing a standby it no longer reaches as streaming,
// with a stale position; FailoverReady must not stay True on that view
// while the consumer confirms what the standby never received.
var _ = Describe("FailoverReady with a standby cut off from the primary", func() {
	if major < 16 {
		return // no logical failover slots before 16
	}
	It("turns False (ConsumerAhead) within a poll and back to True once the standby catches up", func() {
		primary, standby, proxy, rs := cutPair("cut")
		confirmRows := func(from, to int) {
			sqlOn(primary, fmt.Sprintf("INSERT INTO t SELECT generate_series(%d, %d)", from, to))
			consume(primary, "cut")
		}
		n := readyUnderLoad(rs, confirmRows)
		By("the standby is cut off while the consumer confirms more")
		proxy.Blackhole(true)
		confirmRows(1000, 1009)
		c := waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonConsumerAhead)
		Expect(c.Message).To(ContainSubstring(standby.Addr()))
		Expect(c.Message).To(ContainSubstring(slotPosition(primary, "cut").String()))

		By("the standby is back: True again")
		proxy.Blackhole(false)
		proxy.CutAll() // the stalled connections end; the standby reconnects
		Eventually(func(g Gomega) {
			confirmRows(2000+n, 2000+n)
			n++
			c := getCondition(get(rs), api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, "90s", "1s").Should(Succeed())
	})

	It("reports the consumer ahead of the promoted standby when the slot survives through its copy", func() {
		primary, standby, proxy, rs := cutPair("surv")
		confirmRows := func(from, to int) []change {
			sqlOn(primary, fmt.Sprintf("INSERT INTO t SELECT generate_series(%d, %d)", from, to))
			return consume(primary, "surv")
		}
		readyUnderLoad(rs, func(a, b int) { confirmRows(a, b) })

		By("the consumer confirms rows the cut-off standby never receives, then the primary crashes")
		proxy.Blackhole(true)
		ahead := confirmRows(1000, 1009)
		Expect(ahead).To(HaveLen(10))
		confirmed := slotPosition(primary, "surv")
		waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonConsumerAhead)
		Expect(primary.Crash()).To(Succeed())
		Expect(standby.Promote(context.Background())).To(Succeed())
		fork := forkOf(standby)

		c := waitCondition(rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonConsumerAhead)
		Expect(c.Message).To(ContainSubstring("failed over to a standby its consumer had got ahead of"))
		gap := get(rs).Status.LastDataGap
		Expect(gap.ConsumerAhead).To(Equal(&api.ConsumerAhead{Timeline: 1, FromLSN: fork.String(), ToLSN: confirmed.String(),
			Bytes: ptr.To(int64(confirmed - fork))}))
		Expect(gap.FromLSN).To(Equal(fork.String()))
		Expect(rs.Status.Recreations).To(BeZero(), "the slot survived through its copy")
		Expect(rs.Status.Host).To(Equal(standby.Addr()))
		for _, ch := range ahead {
			Expect(ch.lsn).To(BeNumerically(">=", fork))
		}
		Expect(countRows(standby, "SELECT count(*) FROM t WHERE id >= 1000")).To(BeZero())
	})
})

// cutPair starts a primary and a standby that streams through a proxy (to
// cut it off), with the standby settings failover slots need, and a Ready
// failover logical slot for test_decoding, on a table t.
func cutPair(name string) (*pgtest.Server, *pgtest.Server, *pgtest.Proxy, *api.ReplicationSlot) {
	primary := startServer(name+"-primary", nil)
	proxy, err := pgtest.StartProxy(primary.Addr())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(proxy.Close)
	settings := map[string]string{"hot_standby_feedback": "on", "primary_conninfo": fmt.Sprintf(
		"host=%s port=%d user=postgres application_name=standby_%s dbname=postgres connect_timeout=5", proxy.Host(), proxy.Port(), name)}
	if major >= 17 {
		settings["sync_replication_slots"] = "on"
	}
	standby, err := primary.AddStandby(bg, "standby_"+name, settings)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(standby.Cleanup)
	_, ps := serverOn(primary, standby)
	rs := logicalSlot(ps.Namespace, name, ps.Name)
	rs.Spec.Failover, rs.Spec.Plugin = true, "test_decoding"
	Expect(k8s.Create(bg, rs)).To(Succeed())
	waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	sqlOn(primary, "CREATE TABLE t(id int PRIMARY KEY)")
	return primary, standby, proxy, rs
}

// readyUnderLoad confirms rows until FailoverReady is True and returns how
// many batches that took.
func readyUnderLoad(rs *api.ReplicationSlot, confirmRows func(from, to int)) int {
	By("the standby keeps up: FailoverReady True")
	n := 0
	Eventually(func(g Gomega) {
		n++
		confirmRows(n*10, n*10+9)
		c := getCondition(get(rs), api.ConditionFailoverReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
	}, "90s", "1s").Should(Succeed())
	return n
}
