package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// A rolling restart of a StatefulSet deletes each Pod in turn: while it
// terminates, and until its successor runs, the Pod is out of its Service's
// slices, and its PostgreSQL comes back under the same DNS name with the
// slots it had on disk.
var _ = Describe("spec.hostsFrom, a standby's Pod restarting", func() {
	It("keeps the record of the copy there while the Pod is out of the slices, and keeps the copy when it is back", func() {
		ps, _, p, sb, standbySlice := hfCluster()
		rs := hfFailoverSlot(ps, "hf-copy")
		Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Host", sb.Host), HaveField("Port", int32(sb.Port)),
			HaveField("Pending", false), HaveField("UnlistedSince", BeNil()))))

		By("the standby's Pod terminating: out of the members, the record of its copy kept and marked")
		hfSetTerminating(standbySlice, true)
		Eventually(hfMembers).WithArguments(ps).Should(Equal(map[string]api.MemberRole{p.Addr(): api.RolePrimary}))
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Host", sb.Host), HaveField("UnlistedSince", Not(BeNil())))))
		}).Should(Succeed())
		Expect(slotExists(standby, "hf_copy")()).To(BeTrue())

		By("the Pod back under the same address: the copy is this object's again")
		hfSetTerminating(standbySlice, false)
		Eventually(hfMembers).WithArguments(ps).Should(HaveKeyWithValue(sb.Addr(), api.RoleStandby))
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Host", sb.Host), HaveField("UnlistedSince", BeNil()))))
		}).Should(Succeed())
		waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)
		Consistently(func(g Gomega) {
			c := meta.FindStatusCondition(get(rs).Status.Conditions, api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Message).NotTo(ContainSubstring("did not make"))
		}, 3*time.Second).Should(Succeed())

		By("deleting the object drops the copy on the standby")
		deleteAndWait(rs)
		Expect(slotExists(standby, "hf_copy")()).To(BeFalse())
	})
})

// A Pod without a hostname behind its Service (CloudNativePG's) is reached
// by its IP. Deleted and recreated with its volume, it comes back under a
// new IP with the slots it had: here the standby's new forwarder is the
// new address, under the same Pod name.
var _ = Describe("spec.hostsFrom, a standby's Pod recreated under a new address", func() {
	It("moves the record of the copy to the Pod's new address and keeps the copy", func() {
		ps, svc, p, sb, standbySlice := hfCluster()
		rs := hfFailoverSlot(ps, "hf-moved")
		Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).Should(ConsistOf(And(HaveField("Host", sb.Host),
			HaveField("Port", int32(sb.Port)), HaveField("Pod", "db-2"))))

		By("the Pod deleted: its slice gone, the record kept and marked")
		Expect(k8s.Delete(bg, standbySlice)).To(Succeed())
		Eventually(hfMembers).WithArguments(ps).Should(Equal(map[string]api.MemberRole{p.Addr(): api.RolePrimary}))
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Port", int32(sb.Port)), HaveField("UnlistedSince", Not(BeNil())))))
		}).Should(Succeed())

		By("the Pod recreated under a new address: the record follows it")
		moved := hfForward(standby)
		hfSliceFor(svc, moved, "db-2", nil)
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Host", moved.Host), HaveField("Port", int32(moved.Port)),
				HaveField("Pod", "db-2"), HaveField("UnlistedSince", BeNil()))))
		}).Should(Succeed())
		Eventually(func() []api.MemberStatus { return get(ps).Status.Members }).Should(ContainElement(And(
			HaveField("Port", int32(moved.Port)), HaveField("Pod", "db-2"))))
		Eventually(eventNotes(ps.Namespace, "SlotFollowed")).Should(ContainElement(And(ContainSubstring("Pod db-2"),
			ContainSubstring(moved.Addr()), ContainSubstring(sb.Addr()))))
		waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)
		Consistently(func(g Gomega) {
			c := meta.FindStatusCondition(get(rs).Status.Conditions, api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, 3*time.Second).Should(Succeed())

		By("deleting the object drops the copy through the new address")
		deleteAndWait(rs)
		Expect(slotExists(standby, "hf_moved")()).To(BeFalse())
	})
})

var _ = Describe("spec.hostsFrom, a standby's IP given to another Pod while it is away", func() {
	It("keeps the record for its own Pod, and lets it follow that Pod to its new address", func() {
		ps, svc, _, sb, standbySlice := hfCluster()
		rs := hfFailoverSlot(ps, "hf-reused")
		Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).Should(ConsistOf(HaveField("Pod", "db-2")))

		By("db-2 gone and its address now Pod db-9's: db-2's record waits, the copy stays")
		// One write, as the EndpointSlice controller makes it: the address
		// stays in the slice and only the Pod behind it changes.
		patch := client.MergeFrom(standbySlice.DeepCopy())
		standbySlice.Endpoints[0].TargetRef.Name, standbySlice.Endpoints[0].TargetRef.UID = "db-9", "uid-db-9"
		Expect(k8s.Patch(bg, standbySlice, patch)).To(Succeed())
		reused := standbySlice
		Eventually(func() []api.MemberStatus { return get(ps).Status.Members }).Should(ContainElement(And(
			HaveField("Port", int32(sb.Port)), HaveField("Pod", "db-9"))))
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Pod", "db-2"), HaveField("Port", int32(sb.Port)),
				HaveField("UnlistedSince", Not(BeNil())))))
		}).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(HaveField("Pod", "db-2")))
			g.Expect(slotExists(standby, "hf_reused")()).To(BeTrue())
		}, 3*time.Second).Should(Succeed())
		Expect(eventNotes(ps.Namespace, "SlotForgotten")()).To(BeEmpty())

		By("db-2 back under a new address, db-9 gone: the record follows db-2")
		Expect(k8s.Delete(bg, reused)).To(Succeed())
		moved := hfForward(standby)
		hfSliceFor(svc, moved, "db-2", nil)
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.Copies).To(ConsistOf(And(HaveField("Port", int32(moved.Port)), HaveField("Pod", "db-2"),
				HaveField("UnlistedSince", BeNil()))))
		}).Should(Succeed())
		waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)
	})
})

var _ = Describe("spec.hostsFrom, an object deleted while a standby's Pod is away", func() {
	It("leaves the copy there, and says so with a Warning naming the Pod", func() {
		ps, _, _, _, standbySlice := hfCluster()
		rs := hfFailoverSlot(ps, "hf-away")
		Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).Should(ConsistOf(HaveField("Pod", "db-2")))
		DeferCleanup(func() { _ = standby.Exec(bg, "SELECT pg_drop_replication_slot('hf_away')") })

		Expect(k8s.Delete(bg, standbySlice)).To(Succeed())
		Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).Should(ConsistOf(HaveField("UnlistedSince", Not(BeNil()))))
		deleteAndWait(rs)
		Expect(slotExists(standby, "hf_away")()).To(BeTrue(), "a copy on a member not listed is not dropped")
		Eventually(eventNotes(ps.Namespace, "SlotForgotten")).Should(ContainElement(And(ContainSubstring("Pod db-2"),
			ContainSubstring("not dropped with the object"), ContainSubstring("drop it there by hand"))))
	})
})

// hfFailoverSlot creates a physical slot with failover: true on ps, deleted
// at the end if the spec has not, and waits until it is FailoverReady.
func hfFailoverSlot(ps *api.PostgresServer, name string) *api.ReplicationSlot {
	rs := physicalSlot(ps.Namespace, name, "db")
	rs.Spec.Failover = true
	Expect(k8s.Create(bg, rs)).To(Succeed())
	DeferCleanup(func() {
		if k8s.Get(bg, client.ObjectKeyFromObject(rs), rs) == nil {
			deleteAndWait(rs)
		}
	})
	waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)
	return rs
}

// hfSetTerminating marks the slice's endpoint terminating, as the
// EndpointSlice controller does for a Pod being deleted, or back to ready.
func hfSetTerminating(es *discoveryv1.EndpointSlice, terminating bool) {
	patch := client.MergeFrom(es.DeepCopy())
	es.Endpoints[0].Conditions = hfConditions(!terminating, terminating)
	Expect(k8s.Patch(bg, es, patch)).To(Succeed())
}
