package controllers_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// newPair starts a primary and a standby of its own, so a failover does not
// change the roles of the suite's shared pair.
func newPair(name string) (*pgtest.Server, *pgtest.Server) {
	return newPairWith(name, nil)
}

// newPairWith is newPair with settings for the standby.
func newPairWith(name string, standbySettings map[string]string) (*pgtest.Server, *pgtest.Server) {
	p := startServer(name+"-primary", nil)
	s, err := p.AddStandby(context.Background(), "standby_"+name, standbySettings)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Cleanup)
	return p, s
}

// slotsOnPair declares a logical and a physical slot on a server of the
// pair and waits until both are Ready.
func slotsOnPair(members ...*pgtest.Server) (*api.PostgresServer, *api.ReplicationSlot, *api.ReplicationSlot) {
	_, ps := serverOn(members...)
	ns := ps.Namespace
	lg := logicalSlot(ns, "cdc", ps.Name)
	ph := physicalSlot(ns, "replica", ps.Name)
	Expect(k8s.Create(bg, lg)).To(Succeed())
	Expect(k8s.Create(bg, ph)).To(Succeed())
	waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	waitCondition(ph, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	return ps, lg, ph
}

// expectRecovered asserts the state after a failover to promoted: the
// physical slot back without a gap, the logical one back with a Failover gap
// starting at the last position confirmed before it.
func expectRecovered(ps *api.PostgresServer, lg, ph *api.ReplicationSlot, promoted *pgtest.Server, lastConfirmed string) {
	Eventually(func(g Gomega) {
		g.Expect(get(ps).Status.Primary).To(Equal(promoted.Addr()))
		g.Expect(ps.Status.Failovers).To(Equal(int32(1)))
		g.Expect(ps.Status.Timeline).To(Equal(int64(2)))
		g.Expect(ps.Status.LastFailoverTime).NotTo(BeNil())
	}).Should(Succeed())
	// Both slots were recreated ahead of their status writes, after one
	// record naming them.
	Eventually(func() *api.SlotRecreation { return get(ps).Status.Recreation }).Should(And(
		HaveField("Member", promoted.Addr()), HaveField("Timeline", int64(2)),
		HaveField("Slots", ConsistOf(lg.SlotName(), ph.SlotName()))))

	Eventually(func(g Gomega) {
		g.Expect(get(ph).Status.Host).To(Equal(promoted.Addr()))
		g.Expect(ph.Status.Recreations).To(Equal(int32(1)))
	}).Should(Succeed())
	waitCondition(ph, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	Expect(ph.Status.Conditions).NotTo(ContainElement(HaveField("Type", api.ConditionDataGap)))
	Expect(ph.Status.CreatedOnTimeline).To(Equal(int64(2)))
	Expect(slotExists(promoted, "replica")()).To(BeTrue())

	gap := waitCondition(lg, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonFailover)
	Expect(gap.Message).To(ContainSubstring(lastConfirmed))
	Expect(lg.Status.LastDataGap.FromLSN).To(Equal(lastConfirmed))
	waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	Expect(lg.Status.Host).To(Equal(promoted.Addr()))
	Expect(slotExists(promoted, "cdc")()).To(BeTrue())
}

var _ = Describe("failover", func() {
	DescribeTable("puts every slot back on the promoted standby",
		func(name string, stop func(*pgtest.Server) error) {
			oldPrimary, promoted := newPair(name)
			ps, lg, ph := slotsOnPair(oldPrimary, promoted)
			lastConfirmed := lg.Status.ConfirmedFlushLSN

			Expect(stop(oldPrimary)).To(Succeed())
			Expect(promoted.Promote(context.Background())).To(Succeed())
			expectRecovered(ps, lg, ph, promoted, lastConfirmed)
		},
		Entry("crash of the primary (immediate stop)", "crash", (*pgtest.Server).Crash),
		Entry("planned switchover (clean stop)", "switchover", (*pgtest.Server).Stop),
	)

	It("recovers when a Service-like endpoint starts pointing at the promoted standby (timeline change alone)", func() {
		oldPrimary, promoted := newPair("service")
		proxy, err := pgtest.StartProxy(oldPrimary.Addr())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		svc := &pgtest.Server{Host: proxy.Host(), Port: proxy.Port()}
		ps, lg, ph := slotsOnPair(svc)
		lastConfirmed := lg.Status.ConfirmedFlushLSN

		Expect(oldPrimary.Crash()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())
		proxy.Repoint(promoted.Addr())

		Eventually(func(g Gomega) {
			g.Expect(get(ps).Status.Timeline).To(Equal(int64(2)))
			g.Expect(ps.Status.Primary).To(Equal(proxy.Addr()))
			g.Expect(ps.Status.Failovers).To(Equal(int32(1)))
		}).Should(Succeed())
		gap := waitCondition(lg, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonFailover)
		Expect(gap.Message).To(ContainSubstring(lastConfirmed))
		waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Eventually(func() int32 { return get(ph).Status.Recreations }).Should(Equal(int32(1)))
		waitCondition(ph, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(slotExists(promoted, "cdc")()).To(BeTrue())
		Expect(slotExists(promoted, "replica")()).To(BeTrue())
	})

	It("does nothing during a split brain and recovers once the old primary is gone", func() {
		oldPrimary, promoted := newPair("split")
		ps, lg, ph := slotsOnPair(oldPrimary, promoted)
		lastConfirmed := lg.Status.ConfirmedFlushLSN

		By("promoting the standby while the old primary keeps running")
		Expect(promoted.Promote(context.Background())).To(Succeed())
		c := waitCondition(ps, api.ConditionSplitBrain, metav1.ConditionTrue, api.ReasonSplitBrain)
		Expect(c.Message).To(ContainSubstring(oldPrimary.Addr()))
		Expect(c.Message).To(ContainSubstring(promoted.Addr()))
		waitCondition(lg, api.ConditionStalled, metav1.ConditionTrue, api.ReasonSplitBrain)
		waitCondition(ph, api.ConditionStalled, metav1.ConditionTrue, api.ReasonSplitBrain)

		By("a slot declared now is created nowhere, and deleting one drops nothing")
		extra := physicalSlot(ps.Namespace, "during-split", ps.Name)
		Expect(k8s.Create(bg, extra)).To(Succeed())
		waitCondition(extra, api.ConditionStalled, metav1.ConditionTrue, api.ReasonSplitBrain)
		Expect(k8s.Delete(bg, ph)).To(Succeed())
		Consistently(func() bool {
			return slotExists(oldPrimary, "during_split")() || slotExists(promoted, "during_split")() ||
				!slotExists(oldPrimary, "replica")()
		}, "3s").Should(BeFalse())

		By("stopping the old primary ends the split brain")
		Expect(oldPrimary.Stop()).To(Succeed())
		Eventually(func() []metav1.Condition { return get(ps).Status.Conditions }).
			ShouldNot(ContainElement(HaveField("Type", api.ConditionSplitBrain)))
		waitCondition(extra, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(slotExists(promoted, "during_split")()).To(BeTrue())
		gap := waitCondition(lg, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonFailover)
		Expect(gap.Message).To(ContainSubstring(lastConfirmed))
		Eventually(func() error { return k8s.Get(bg, keyOf(ph), ph) }).ShouldNot(Succeed(), "the deleted slot's object goes once it can act")
	})
})
