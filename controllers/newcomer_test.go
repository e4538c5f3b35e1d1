package controllers_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// An owned slot goes missing and, before its object can make it again,
// somebody else does: here a consumer that creates its own slot when it
// finds none, as Debezium does. The slot there now is not the one that
// was lost, so the object must tell the loss as a data gap and take the
// new slot only as the adoption rules allow, not as the slot that
// survived. The object's role lacks REPLICATION meanwhile, so the consumer
// gets there first.
var _ = Describe("A lost slot that somebody else made again", func() {
	It("is told as a data gap and adopted, not taken for the slot that was lost", func() {
		Expect(primary.CreateRole(bg, "newcomer_a", "newcomer-a-pw", true)).To(Succeed())
		ns := newNamespace()
		createSecret(ns, "pg", "newcomer_a", "newcomer-a-pw")
		ps := createServer(ns, "db", "pg", primary)
		rs := logicalSlot(ns, "cdc", ps.Name)
		rs.Spec.SlotName = "made_again"
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Eventually(func() string { return get(rs).Status.ConfirmedFlushLSN }).ShouldNot(BeEmpty())
		before, err := postgres.ParseLSN(get(rs).Status.ConfirmedFlushLSN)
		Expect(err).NotTo(HaveOccurred())

		By("the role loses REPLICATION and the slot is dropped: the object finds it missing and cannot make it again")
		Expect(primary.Exec(bg, "ALTER ROLE newcomer_a NOREPLICATION")).To(Succeed())
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('made_again')")).To(Succeed())
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonPermissionDenied)
		Expect(slotExists(primary, "made_again")()).To(BeFalse())

		By("the consumer makes the slot itself, after changes its old slot would have kept")
		Expect(primary.Exec(bg, "CREATE TABLE newcomer_lost AS SELECT g FROM generate_series(1, 100) g")).To(Succeed())
		createLogicalOn(primary, "made_again")
		made := slotPosition(primary, "made_again")
		Expect(made).To(BeNumerically(">", before))

		By("REPLICATION is back: the object finds the slot made again")
		Expect(primary.Exec(bg, "ALTER ROLE newcomer_a REPLICATION")).To(Succeed())
		patch := `{"metadata":{"annotations":{"test.slotkeeper.dev/nudge":"replication"}}}`
		Expect(k8s.Patch(bg, get(rs), client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
		gap := waitCondition(rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonMissing)
		Expect(gap.Message).To(ContainSubstring(made.String()))
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		st := get(rs).Status
		Expect(st.Owned).To(BeTrue())
		Expect(st.Origin).To(Equal(api.OriginAdopted), "the object took a slot somebody else made for its own creation")
		Expect(st.Vanished).To(Equal(int32(1)))
		Expect(st.Recreations).To(BeZero())
		Expect(st.LastDataGap).NotTo(BeNil())
		from, err := postgres.ParseLSN(st.LastDataGap.FromLSN)
		Expect(err).NotTo(HaveOccurred())
		Expect(from).To(BeNumerically(">=", before))
		Expect(st.LastDataGap.ToLSN).To(Equal(made.String()))
		Eventually(eventNotes(ns, api.ConditionDataGap)).Should(ContainElement(
			ContainSubstring("was lost (Missing) and made again by somebody else")))
		Expect(strings.Join(eventNotes(ns, api.ReasonAdopted)(), "\n")).To(ContainSubstring("adopted existing slot"))

		deleteAndWait(rs)
		Expect(primary.Exec(bg, "DROP TABLE newcomer_lost")).To(Succeed())
	})

	// Another namespace's object holds the name off from this one while
	// the slot is this one's; once the grace it leaves a missing slot to
	// its holder has run out, it makes the slot. Keeping the claim would
	// let this object's deletion drop that team's slot.
	It("is given up to another namespace's object that made and owns it, and its loss is told", func() {
		Expect(primary.CreateRole(bg, "newcomer_b", "newcomer-b-pw", true)).To(Succeed())
		nsA := newNamespace()
		createSecret(nsA, "pg", "newcomer_b", "newcomer-b-pw")
		psA := createServer(nsA, "db", "pg", primary)
		a := createNamedSlot(nsA, "team-a", psA.Name, "made_by_b")
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		nsB, psB := defaultServer()
		b := createNamedSlot(nsB, "team-b", psB.Name, "made_by_b")
		waitCondition(b, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)

		By("team-a's role loses REPLICATION and its slot is dropped; team-b's object makes it after the grace")
		Expect(primary.Exec(bg, "ALTER ROLE newcomer_b NOREPLICATION")).To(Succeed())
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('made_by_b')")).To(Succeed())
		waitCondition(a, api.ConditionStalled, metav1.ConditionTrue, api.ReasonPermissionDenied)
		Eventually(func() bool { return get(b).Status.Owned }).WithTimeout(time.Minute).Should(BeTrue())
		Expect(slotExists(primary, "made_by_b")()).To(BeTrue())

		By("team-a's role has REPLICATION again: its object gives the slot up and tells its loss")
		Expect(primary.Exec(bg, "ALTER ROLE newcomer_b REPLICATION")).To(Succeed())
		patch := `{"metadata":{"annotations":{"test.slotkeeper.dev/nudge":"replication"}}}`
		Expect(k8s.Patch(bg, get(a), client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
		c := waitCondition(a, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(Or(ContainSubstring("has made it again since and manages it"), ContainSubstring("already manages slot")))
		Expect(get(a).Status.Owned).To(BeFalse())
		Expect(get(a).Status.Origin).To(BeEmpty())
		Expect(get(a).Status.Vanished).To(Equal(int32(1)))
		Eventually(eventNotes(nsA, api.ReasonMissing)).Should(ContainElement(ContainSubstring("made again by somebody else")))
		Consistently(func() bool { return get(b).Status.Owned }, "3s").Should(BeTrue())

		deleteAndWait(a)
		Expect(slotExists(primary, "made_by_b")()).To(BeTrue(), "deleting team-a's object dropped the slot team-b's made")
		deleteAndWait(b)
		Expect(slotExists(primary, "made_by_b")()).To(BeFalse())
	})

	// The object's own recreation waits for a transaction; the network
	// then drops everything, the transaction ends and PostgreSQL makes the
	// slot, but its reply is lost with the connection. The operator cannot
	// know its CREATE made the slot; the slot found after is the object's
	// own, recorded as its recreation, not adopted as somebody else's.
	It("is taken for the object's own recreation when its own cut CREATE may have made it", func() {
		proxy, err := pgtest.StartProxy(primary.Addr())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		ns, ps := serverOn(&pgtest.Server{Host: proxy.Host(), Port: proxy.Port()})
		rs := logicalSlot(ns, "cut", ps.Name)
		rs.Spec.SlotName = "cut_made"
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Eventually(func() string { return get(rs).Status.ConfirmedFlushLSN }).ShouldNot(BeEmpty())

		By("a transaction holds an xid, and the slot is dropped: the recreation waits for the transaction")
		_, tx := tenantTransaction("orders", "shop", "newcomer-cut")
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('cut_made')")).To(Succeed())
		waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionTrue, api.ReasonWaitingForTransactions)

		By("the network drops everything; the transaction ends, and the CREATE makes the slot but its reply never arrives")
		proxy.Blackhole(true)
		Expect(tx.Close(bg)).To(Succeed())
		Eventually(func() bool { r := readSlot(primary, "cut_made"); return r != nil && !r.Active }).Should(BeTrue())
		proxy.CutAll()
		proxy.Blackhole(false)
		gap := waitCondition(rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonMissing)
		Expect(gap.Message).NotTo(ContainSubstring("made again by somebody else"))
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		st := get(rs).Status
		Expect(st.Owned).To(BeTrue())
		Expect(st.Origin).To(Equal(api.OriginCreated), "the object's own creation was taken for somebody else's")
		Expect(st.Recreations).To(Equal(int32(1)))
		deleteAndWait(rs)
		Expect(slotExists(primary, "cut_made")()).To(BeFalse())
	})
})
