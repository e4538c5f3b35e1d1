package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
		primary := startServer("cut-primary", nil)
		proxy, err := pgtest.StartProxy(primary.Addr())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		settings := map[string]string{"hot_standby_feedback": "on", "primary_conninfo": fmt.Sprintf(
			"host=%s port=%d user=postgres application_name=standby_cut dbname=postgres connect_timeout=5", proxy.Host(), proxy.Port())}
		if major >= 17 {
			settings["sync_replication_slots"] = "on"
		}
		standby, err := primary.AddStandby(bg, "standby_cut", settings)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(standby.Cleanup)
		_, ps := serverOn(primary, standby)
		rs := logicalSlot(ps.Namespace, "cut", ps.Name)
		rs.Spec.Failover, rs.Spec.Plugin = true, "test_decoding"
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		sqlOn(primary, "CREATE TABLE t(id int PRIMARY KEY)")
		confirmRows := func(from, to int) {
			sqlOn(primary, fmt.Sprintf("INSERT INTO t SELECT generate_series(%d, %d)", from, to))
			consume(primary, "cut")
		}

		By("the standby keeps up: FailoverReady True")
		n := 0
		Eventually(func(g Gomega) {
			n++
			confirmRows(n*10, n*10+9)
			c := getCondition(get(rs), api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, "90s", "1s").Should(Succeed())

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
})
