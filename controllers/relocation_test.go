package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// moveTo sets the object's spec.location: nil for the primary, else the
// standby s.
func moveTo(rs *api.ReplicationSlot, s *pgtest.Server) {
	Eventually(func() error {
		cur := get(rs)
		cur.Spec.Location = &api.SlotLocation{Role: api.LocationPrimary}
		if s != nil {
			cur.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: s.Host, Port: int32(s.Port)}
		}
		return k8s.Update(bg, cur)
	}).Should(Succeed())
}

// readyOn waits until the object's slot is Ready on member s.
func readyOn(rs *api.ReplicationSlot, s *pgtest.Server) {
	Eventually(func(g Gomega) {
		cur := get(rs)
		g.Expect(cur.Status.Host).To(Equal(s.Addr()))
		g.Expect(cur.Status.ObservedGeneration).To(Equal(cur.Generation))
	}).Should(Succeed())
	waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	Expect(slotExists(s, rs.SlotName())()).To(BeTrue())
}

func readyMessage(rs *api.ReplicationSlot) string {
	if c := meta.FindStatusCondition(get(rs).Status.Conditions, api.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

var _ = Describe("a slot moved by spec.location", func() {
	It("is made on its new member and leaves nothing on the one it left, either way", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "moved", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		readyOn(rs, primary)

		By("to the standby: the primary's slot is dropped")
		moveTo(rs, standby)
		readyOn(rs, standby)
		Eventually(slotExists(primary, "moved")).Should(BeFalse(), "the slot left on the primary keeps its WAL")
		Eventually(eventNotes(ns, "StaleSlotDropped")).Should(ContainElement(ContainSubstring(primary.Addr())))
		Expect(eventNotes(ns, api.ReasonRelocated)()).To(ContainElement(ContainSubstring(standby.Addr())))
		Expect(get(rs).Status.Recreations).To(Equal(int32(1)))

		By("back to the primary: the standby's slot is dropped")
		moveTo(rs, nil)
		readyOn(rs, primary)
		Eventually(slotExists(standby, "moved")).Should(BeFalse(), "the slot left on the standby")
		Eventually(func(g Gomega) { g.Expect(get(rs).Status.Copies).To(BeEmpty()) }).Should(Succeed())

		deleteAndWait(rs)
		Expect(slotExists(primary, "moved")()).To(BeFalse())
	})

	It("keeps the slot it left while a consumer holds it, says so, and drops it once released", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "moved-held", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		readyOn(rs, primary)
		release, err := pgtest.HoldSlot(bg, primary.DSN("postgres", "", "postgres"), "moved_held", false)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(release)

		moveTo(rs, standby)
		readyOn(rs, standby)
		Eventually(func() string { return readyMessage(rs) }).
			Should(ContainSubstring("the slot it left on " + primary.Addr() + " is still held"))
		Consistently(slotExists(primary, "moved_held"), "3s").Should(BeTrue(), "a held slot was dropped")
		Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Host", primary.Host), HaveField("Former", true))))
		Eventually(slotGauge("slotkeeper_slot_left_behind", ns, rs.Name)).Should(Equal(1.0))

		release()
		Eventually(slotExists(primary, "moved_held"), "45s").Should(BeFalse())
		Eventually(func() string { return readyMessage(rs) }).ShouldNot(ContainSubstring("still held"))
		Eventually(slotGauge("slotkeeper_slot_left_behind", ns, rs.Name)).Should(Equal(-1.0), "the series outlived the slot left behind")
		deleteAndWait(rs)
		Expect(slotExists(standby, "moved_held")()).To(BeFalse())
	})

	It("stops a creation still running on the member it left, and nothing it began stays there", func() {
		if major < 16 {
			Skip("logical slots on a standby exist from PostgreSQL 16 on")
		}
		ns, ps := defaultServer()
		_, conn := tenantTransaction("orders", "shop", "moving-blocker")
		rs := logicalSlot(ns, "moved-creating", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionTrue, api.ReasonWaitingForTransactions)

		moveTo(rs, standby)
		Eventually(eventNotes(ns, api.ReasonRelocated)).Should(ContainElement(ContainSubstring("stopped creating")))
		_, err := conn.Exec(bg, "COMMIT")
		Expect(err).NotTo(HaveOccurred())
		readyOn(rs, standby)
		Consistently(slotExists(primary, "moved_creating"), "3s").Should(BeFalse(), "the abandoned creation left a slot")
		Eventually(func(g Gomega) { g.Expect(get(rs).Status.Copies).To(BeEmpty()) }, "20s").Should(Succeed())
		Expect(get(rs).Status.LastDataGap).To(BeNil(), "a first creation loses nothing")
		deleteAndWait(rs)
		Expect(slotExists(standby, "moved_creating")()).To(BeFalse())
	})

	It("stops a creation running on the primary when the location names a member that cannot hold the slot", func() {
		ns, ps := defaultServer()
		_, conn := tenantTransaction("orders", "shop", "stalling-blocker")
		rs := logicalSlot(ns, "moved-nowhere", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionTrue, api.ReasonWaitingForTransactions)

		Eventually(func() error {
			cur := get(rs)
			cur.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: "no-such-member.invalid", Port: 5432}
			return k8s.Update(bg, cur)
		}).Should(Succeed())
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidSpec)
		Eventually(eventNotes(ns, api.ReasonRelocated)).Should(ContainElement(ContainSubstring("stopped creating")))
		_, err := conn.Exec(bg, "COMMIT")
		Expect(err).NotTo(HaveOccurred())
		Consistently(slotExists(primary, "moved_nowhere"), "3s").Should(BeFalse(), "the creation went on under a location it cannot serve")

		By("the location mended, the slot is made where it says")
		moveTo(rs, nil)
		readyOn(rs, primary)
		deleteAndWait(rs)
	})

	It("does not move onto a member that already has a slot of the name it did not make", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "moved-onto", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		readyOn(rs, primary)
		Expect(standby.Exec(bg, "SELECT pg_create_physical_replication_slot('moved_onto')")).To(Succeed())

		moveTo(rs, standby)
		c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("already has a slot of that name"))
		Consistently(slotExists(primary, "moved_onto"), "3s").Should(BeTrue(), "the slot its consumer uses was dropped")
		Expect(get(rs).Status.Owned).To(BeTrue())
		Expect(rs.Status.Host).To(Equal(primary.Addr()))
		Expect(rs.Status.Copies).To(BeEmpty(), "the live slot was recorded as left behind")

		By("the name free on the standby, the move goes on")
		Expect(standby.Exec(bg, "SELECT pg_drop_replication_slot('moved_onto')")).To(Succeed())
		readyOn(rs, standby)
		Eventually(slotExists(primary, "moved_onto")).Should(BeFalse())
		deleteAndWait(rs)
		Expect(slotExists(standby, "moved_onto")()).To(BeFalse())
	})

	It("moves nothing when the new location is the same standby under another address", func() {
		alias := &pgtest.Server{Host: "localhost", Port: standby.Port}
		ns, ps := serverOn(primary, standby, alias)
		rs := physicalSlot(ns, "aliased", ps.Name)
		rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: standby.Host, Port: int32(standby.Port)}
		Expect(k8s.Create(bg, rs)).To(Succeed())
		readyOn(rs, standby)

		moveTo(rs, alias)
		Eventually(func() string { return get(rs).Status.Host }).Should(Equal(alias.Addr()))
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Consistently(slotExists(standby, "aliased"), "5s").Should(BeTrue(), "the live slot was dropped as one left behind")
		Expect(get(rs).Status.Recreations).To(BeZero())
		Expect(eventNotes(ns, "StaleSlotDropped")()).To(BeEmpty())
		deleteAndWait(rs)
		Expect(slotExists(standby, "aliased")()).To(BeFalse())
	})

	It("does not take a member's new address for a move", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "readdressed", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		readyOn(rs, primary)

		Eventually(func() error {
			cur := get(ps)
			cur.Spec.Hosts[0].Host = "localhost"
			return k8s.Update(bg, cur)
		}).Should(Succeed())
		renamed := &pgtest.Server{Host: "localhost", Port: primary.Port}
		Eventually(func() string { return get(rs).Status.Host }).Should(Equal(renamed.Addr()))
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Consistently(slotExists(primary, "readdressed"), "3s").Should(BeTrue())
		Expect(get(rs).Status.Recreations).To(BeZero())
		Expect(rs.Status.Copies).To(BeEmpty())
		Expect(eventNotes(ns, api.ReasonRelocated)()).To(BeEmpty())
		deleteAndWait(rs)
		Expect(slotExists(primary, "readdressed")()).To(BeFalse())
	})
})
