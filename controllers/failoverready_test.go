package controllers_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

var _ = Describe("physical failover slots", func() {
	It("keep a copy on the standby, report FailoverReady, and are still there after a failover", func() {
		oldPrimary, promoted := newPair("phys")
		ns, ps := serverOn(oldPrimary, promoted)
		rs := physicalSlot(ns, "phys-fo", ps.Name)
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Eventually(slotExists(promoted, "phys_fo")).Should(BeTrue(), "the copy on the standby")

		By("once the slot's consumer has moved on, the copy keeps WAL from the same position")
		Eventually(func(g Gomega) {
			g.Expect(oldPrimary.Exec(bg, "CREATE TABLE IF NOT EXISTS p(x int); INSERT INTO p VALUES (1)")).To(Succeed())
			g.Expect(oldPrimary.Exec(bg, "SELECT pg_replication_slot_advance('phys_fo', pg_current_wal_lsn())")).To(Succeed())
			c := getCondition(rs, api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, "60s", "1s").Should(Succeed())

		Expect(oldPrimary.Crash()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())
		Eventually(func() string { return get(rs).Status.Host }).Should(Equal(promoted.Addr()))
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(rs.Status.Recreations).To(BeZero(), "the copy was used, not recreated")
		deleteAndWait(rs)
		Expect(slotExists(promoted, "phys_fo")()).To(BeFalse())
	})
})

// Failover slots are native from PostgreSQL 17 on; the specs exist where
// they apply.
var _ = Describe("failover-ready slots", func() {
	if major < 16 {
		It("report Unsupported before PostgreSQL 16", func() {
			ns, ps := defaultServer()
			rs := logicalSlot(ns, "fo-old", ps.Name)
			rs.Spec.Failover = true
			Expect(k8s.Create(bg, rs)).To(Succeed())
			c := waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonUnsupported)
			Expect(c.Message).To(ContainSubstring("PostgreSQL 16"))
			Expect(c.Message).To(ContainSubstring("Upgrade to 17"))
		})
		return
	}
	if major < 17 {
		return // PostgreSQL 16: copies kept by slotkeeper, see consumer_failover_test.go
	}

	It("name the missing slot-sync settings of a standby", func() {
		ns, ps := defaultServer()
		rs := logicalSlot(ns, "fo-prereq", ps.Name)
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonFailoverPrerequisites)
		Expect(c.Message).To(ContainSubstring("sync_replication_slots = on"))
		Expect(c.Message).To(ContainSubstring("hot_standby_feedback = on"))
		Expect(rs.Status.Standbys).To(HaveLen(1))
		Expect(rs.Status.Standbys[0].Ready).To(BeFalse())
		p := waitCondition(ps, api.ConditionPrerequisitesMet, metav1.ConditionFalse, api.ReasonFailoverPrerequisites)
		Expect(p.Message).To(ContainSubstring("standby " + standby.Addr() + ": set sync_replication_slots = on"))
		Expect(p.Message).To(ContainSubstring("set synchronized_standby_slots = 'ctl_standby'"))
	})

	It("turn FailoverReady once the standby holds a persistent copy, and survive a failover without a gap", func() {
		oldPrimary, promoted := newPairWith("fo17", map[string]string{
			"sync_replication_slots": "on", "hot_standby_feedback": "on"})
		ns, ps := serverOn(oldPrimary, promoted)
		rs := logicalSlot(ns, "cdc-fo", ps.Name)
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		By("a consumer confirming progress lets the standby's copy persist")
		Eventually(func(g Gomega) {
			g.Expect(oldPrimary.Exec(bg, "CREATE TABLE IF NOT EXISTS t(x int); INSERT INTO t VALUES (1)")).To(Succeed())
			g.Expect(oldPrimary.Exec(bg, "SELECT pg_replication_slot_advance('cdc_fo', pg_current_wal_lsn())")).To(Succeed())
			c := getCondition(rs, api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, "60s", "1s").Should(Succeed())
		Expect(rs.Status.Standbys).To(ConsistOf(HaveField("Ready", true)))

		By("failing over: the synchronized copy is used, nothing is lost")
		Expect(oldPrimary.Crash()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Host).To(Equal(promoted.Addr()))
		}).Should(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(rs.Status.Recreations).To(BeZero())
		Expect(rs.Status.LastDataGap).To(BeNil())
		Expect(rs.Status.Conditions).NotTo(ContainElement(HaveField("Type", api.ConditionDataGap)))
	})
})

func getCondition(rs *api.ReplicationSlot, t string) *metav1.Condition {
	for _, c := range get(rs).Status.Conditions {
		if c.Type == t {
			return &c
		}
	}
	return nil
}
