package controllers_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// restartOf is a slot's restart_lsn as text.
func restartOf(s *pgtest.Server, slot string) string {
	conn, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	var lsn string
	Expect(conn.QueryRow(bg, "SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&lsn)).To(Succeed())
	return lsn
}

func recreationsOf(rs *api.ReplicationSlot) func() int32 {
	return func() int32 { return get(rs).Status.Recreations }
}

var _ = Describe("a former primary promoted again before its stale slots were dropped", func() {
	It("drops and recreates them with their gap, and never drops one a consumer holds", func() {
		first, second := newPair("repromote")
		// slotkeeper reaches the first primary through a proxy, so that
		// it can be kept from seeing that member run as a standby.
		proxy, err := pgtest.StartProxy(first.Addr())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		viaProxy := &pgtest.Server{Host: proxy.Host(), Port: proxy.Port()}
		ps, lg, ph := slotsOnPair(viaProxy, second)

		By("a switchover: both slots recreated on the second member, the first one's left behind")
		Expect(first.Stop()).To(Succeed())
		Expect(second.Promote(context.Background())).To(Succeed())
		for _, rs := range []*api.ReplicationSlot{lg, ph} {
			Eventually(recreationsOf(rs)).Should(Equal(int32(1)))
			Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).
				Should(ContainElement(And(HaveField("Port", int32(proxy.Port())), HaveField("Former", true))))
		}
		waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		lastConfirmed := get(lg).Status.ConfirmedFlushLSN

		By("the first member rejoins as a standby out of slotkeeper's sight, and is promoted again")
		proxy.Blackhole(true)
		Expect(first.Rejoin(bg, second, "rejoined")).To(Succeed())
		Expect(second.Stop()).To(Succeed())
		Expect(first.Promote(context.Background())).To(Succeed())
		Expect(slotExists(first, "cdc")()).To(BeTrue(), "the stale logical slot is still there")
		staleStart := restartOf(first, "cdc")
		release, err := pgtest.HoldSlot(bg, first.DSN("postgres", "", "postgres"), "replica", false)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(release)
		proxy.Blackhole(false)

		By("the idle stale slot: dropped and recreated, with the gap from where its consumer confirmed on the second member")
		Eventually(recreationsOf(lg), "30s").Should(Equal(int32(2)))
		waitCondition(lg, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonFailover)
		Eventually(eventNotes(ps.Namespace, "StaleSlotDropped")).Should(ContainElement(And(
			ContainSubstring(`"cdc" on `+proxy.Addr()), ContainSubstring("promoted again"))))
		Eventually(eventNotes(ps.Namespace, api.ConditionDataGap)).Should(ContainElement(And(
			ContainSubstring("on "+proxy.Addr()), ContainSubstring("changes from "+lastConfirmed+" to "))))
		waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(lg.Status.Host).To(Equal(proxy.Addr()))
		Expect(lg.Status.Copies).NotTo(ContainElement(HaveField("Port", int32(proxy.Port()))))
		// staleStart is an LSN PostgreSQL printed, so it is safe to inline.
		Expect(querySlotBool(first, "cdc", "restart_lsn > '"+staleStart+"'::pg_lsn")()).To(BeTrue(), "the slot there is a new one")

		By("the held stale slot: reported, neither taken nor dropped")
		c := waitCondition(ph, api.ConditionReady, metav1.ConditionFalse, api.ReasonSlotActive)
		Expect(c.Message).To(ContainSubstring("stale"))
		Consistently(recreationsOf(ph), "3s").Should(Equal(int32(1)))
		Expect(slotExists(first, "replica")()).To(BeTrue())

		By("released, it is recreated")
		release()
		Eventually(recreationsOf(ph), "30s").Should(Equal(int32(2)))
		waitCondition(ph, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(ph).Status.Host).To(Equal(proxy.Addr()))
	})
})
