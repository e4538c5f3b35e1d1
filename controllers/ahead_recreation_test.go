package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

var _ = Describe("a failover's recreations made ahead of the status writes", func() {
	It("records the data gap of a slot the operator recreated and then stopped before its status said so", func() {
		// The state a stop between the bulk creation and the object's status
		// write leaves: the PostgresServer's record names the slot, the
		// promoted member has it, the object still shows it on the old
		// primary. The server has no Secret yet, so the operator observes
		// nothing while the test writes that state.
		oldPrimary, promoted := newPair("aheadstop")
		ns := newNamespace()
		ps := createServer(ns, "db", "pg", oldPrimary, promoted)
		waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonCredentialsMissing)
		named, other, taken := logicalSlot(ns, "named", "db"), logicalSlot(ns, "other", "db"), logicalSlot(ns, "taken", "db")
		for _, rs := range []*api.ReplicationSlot{named, other, taken} {
			Expect(k8s.Create(bg, rs)).To(Succeed())
			Eventually(func() []metav1.Condition { return conditionsOf(get(rs)) }).Should(ContainElement(HaveField("Type", api.ConditionReady)))
		}
		// The consumer confirmed a position the new primary has, with
		// changes after it that it never decoded.
		confirmed := currentLSN(oldPrimary).String()
		Expect(oldPrimary.Exec(bg, "CREATE TABLE after_confirmed AS SELECT g FROM generate_series(1, 100) g")).To(Succeed())
		replayedOn(promoted, currentLSN(oldPrimary))
		Expect(oldPrimary.Crash()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())
		for _, name := range []string{"named", "other"} {
			createLogicalOn(promoted, name)
		}
		// Someone else made "taken" on the promoted member first, with
		// another plugin: the bulk's CREATE found the name taken.
		conn, err := promoted.Connect(bg, "orders")
		Expect(err).NotTo(HaveOccurred())
		_, err = conn.Exec(bg, "SELECT pg_create_logical_replication_slot('taken', 'test_decoding')")
		Expect(err).NotTo(HaveOccurred())
		Expect(conn.Close(bg)).To(Succeed())
		for _, rs := range []*api.ReplicationSlot{named, other, taken} {
			ownedOnOldPrimary(rs, oldPrimary, confirmed)
		}
		patch := client.MergeFrom(get(ps).DeepCopy())
		ps.Status.Recreation = &api.SlotRecreation{Member: promoted.Addr(), Timeline: 2, Slots: []string{"named", "taken"}, At: metav1.Now()}
		Expect(k8s.Status().Patch(bg, ps, patch)).To(Succeed())

		// Another team's object made "stolen" on the promoted member and
		// owns it; the record names it too, for this team's object.
		stolen := logicalSlot(ns, "stolen", "db")
		Expect(k8s.Create(bg, stolen)).To(Succeed())
		Eventually(func() []metav1.Condition { return conditionsOf(get(stolen)) }).Should(ContainElement(HaveField("Type", api.ConditionReady)))
		ownedOnOldPrimary(stolen, oldPrimary, confirmed)
		nsB, _ := serverOn(promoted)
		theirs := logicalSlot(nsB, "theirs", "db")
		theirs.Spec.SlotName = "stolen"
		Expect(k8s.Create(bg, theirs)).To(Succeed())
		waitCondition(theirs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		patch = client.MergeFrom(get(ps).DeepCopy())
		ps.Status.Recreation.Slots = append(ps.Status.Recreation.Slots, "stolen")
		Expect(k8s.Status().Patch(bg, ps, patch)).To(Succeed())

		createSecret(ns, "pg", opRole, opPassword)
		gap := waitCondition(named, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonFailover)
		Expect(gap.Message).To(ContainSubstring(confirmed))
		Expect(named.Status.LastDataGap.FromLSN).To(Equal(confirmed))
		waitCondition(named, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(named.Status.Recreations).To(Equal(int32(1)))
		Expect(named.Status.Host).To(Equal(promoted.Addr()))
		Expect(slotExists(promoted, "named")()).To(BeTrue(), "the slot made ahead is kept")

		// Without the record, a slot on the promoted member is one that
		// survived the failover (a copy): no recreation, no gap.
		waitCondition(other, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(other).Status.Recreations).To(BeZero())
		Expect(other.Status.Conditions).NotTo(ContainElement(HaveField("Type", api.ConditionDataGap)))

		// A slot of another kind under a recorded name is not the one the
		// bulk made: never recorded as this object's creation.
		c := waitCondition(taken, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("test_decoding"))
		Expect(get(taken).Status.Recreations).To(BeZero())
		Expect(get(taken).Status.Host).To(Equal(oldPrimary.Addr()))
		Expect(slotExists(promoted, "taken")()).To(BeTrue())

		// Nor is another namespace's slot that it created and owns: this
		// object gives up its claim, and its deletion leaves that slot.
		c = waitCondition(stolen, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("another namespace"))
		Expect(get(stolen).Status.Owned).To(BeFalse())
		Expect(get(stolen).Status.Recreations).To(BeZero())
		Expect(get(theirs).Status.Owned).To(BeTrue())
		deleteAndWait(stolen)
		Expect(slotExists(promoted, "stolen")()).To(BeTrue(), "deleting this team's object dropped the other team's slot")
		waitCondition(theirs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	})
})

// createLogicalOn creates a pgoutput slot in the orders database.
func createLogicalOn(s *pgtest.Server, name string) {
	conn, err := s.Connect(bg, "orders")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	_, err = conn.Exec(bg, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", name)
	Expect(err).NotTo(HaveOccurred())
}

// ownedOnOldPrimary writes the status of an object that created its slot
// on the old primary and saw its consumer confirm up to confirmed there.
func ownedOnOldPrimary(rs *api.ReplicationSlot, old *pgtest.Server, confirmed string) {
	patch := client.MergeFrom(get(rs).DeepCopy())
	created := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	rs.Status.Owned, rs.Status.Origin, rs.Status.Host = true, api.OriginCreated, old.Addr()
	rs.Status.ObservedTimeline, rs.Status.CreatedOnTimeline, rs.Status.CreatedAt = 1, 1, &created
	rs.Status.ConfirmedFlushLSN = confirmed
	Expect(k8s.Status().Patch(bg, rs, patch)).To(Succeed())
}
