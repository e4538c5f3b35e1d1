package controllers_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// A failover on its own primary and standby, so the suite's shared pair
// keeps its roles.
var _ = Describe("failover", Ordered, func() {
	var oldPrimary, promoted *pgtest.Server
	BeforeAll(func() {
		ctx := context.Background()
		var err error
		oldPrimary, err = pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "fo-primary"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(oldPrimary.Cleanup)
		Expect(oldPrimary.CreateRole(ctx, opRole, opPassword, true)).To(Succeed())
		Expect(oldPrimary.CreateDatabase(ctx, "orders")).To(Succeed())
		promoted, err = oldPrimary.AddStandby(ctx, "fo_standby", nil)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(promoted.Cleanup)
	})

	It("recreates physical slots without a gap and logical slots with a reported Failover gap", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := createServer(ns, "db", "pg", oldPrimary, promoted)
		lg := logicalSlot(ns, "cdc", ps.Name)
		ph := physicalSlot(ns, "replica", ps.Name)
		Expect(k8s.Create(bg, lg)).To(Succeed())
		Expect(k8s.Create(bg, ph)).To(Succeed())
		waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(ph, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		lastConfirmed := lg.Status.ConfirmedFlushLSN

		By("promoting the standby and crashing the old primary")
		Expect(oldPrimary.Crash()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(get(ps).Status.Primary).To(Equal(promoted.Addr()))
			g.Expect(ps.Status.Failovers).To(Equal(int32(1)))
			g.Expect(ps.Status.Timeline).To(Equal(int64(2)))
			g.Expect(ps.Status.LastFailoverTime).NotTo(BeNil())
		}).Should(Succeed())

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
	})
})
