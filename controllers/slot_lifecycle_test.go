package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

var _ = Describe("ReplicationSlot lifecycle", func() {
	It("creates logical and physical slots and reports them Ready", func() {
		ns, ps := defaultServer()
		lg := logicalSlot(ns, "orders-cdc-a", ps.Name)
		ph := physicalSlot(ns, "replica-a", ps.Name)
		Expect(k8s.Create(bg, lg)).To(Succeed())
		Expect(k8s.Create(bg, ph)).To(Succeed())

		c := waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(c.ObservedGeneration).To(Equal(lg.Generation))
		waitCondition(ph, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(lg.Status.SlotName).To(Equal("orders_cdc_a"))
		Expect(lg.Status.Owned).To(BeTrue())
		Expect(lg.Status.Host).To(Equal(primary.Addr()))
		Expect(lg.Status.ConfirmedFlushLSN).NotTo(BeEmpty())
		Expect(lg.Status.CreatedOnTimeline).To(Equal(int64(1)))
		Expect(ph.Status.RestartLSN).NotTo(BeEmpty(), "reserveWAL defaults to true")
		Expect(ph.Status.WALStatus).To(Equal("reserved"))

		Expect(readSlot(primary, "orders_cdc_a")).To(Equal(&slotRow{Type: "logical", Plugin: "pgoutput", Database: "orders"}))
		Expect(readSlot(primary, "replica_a")).To(Equal(&slotRow{Type: "physical"}))

		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		Eventually(func() int32 { return get(ps).Status.Slots.Managed }).Should(BeNumerically(">=", 2))
		Expect(ps.Status.Primary).To(Equal(primary.Addr()))
		Expect(ps.Status.Members).To(HaveLen(2))
		Expect(ps.Status.Members[1].Role).To(Equal(api.RoleStandby))
		Expect(ps.Status.SystemIdentifier).NotTo(BeEmpty())
	})

	It("drops the slot on deletion with policy Delete and keeps it with Retain", func() {
		ns, ps := defaultServer()
		del := physicalSlot(ns, "gone", ps.Name)
		keep := physicalSlot(ns, "kept", ps.Name)
		keep.Spec.DeletionPolicy = api.DeletionRetain
		Expect(k8s.Create(bg, del)).To(Succeed())
		Expect(k8s.Create(bg, keep)).To(Succeed())
		waitCondition(del, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(keep, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		deleteAndWait(del)
		deleteAndWait(keep)
		Expect(slotExists(primary, "gone")()).To(BeFalse())
		Expect(slotExists(primary, "kept")()).To(BeTrue())
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('kept')")).To(Succeed())
	})

	It("never drops an active slot: deletion waits until the consumer leaves", func() {
		ns, ps := defaultServer()
		rs := logicalSlot(ns, "busy", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		release, err := pgtest.HoldSlot(bg, primary.DSN("postgres", "", "orders"), "busy", true)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() bool { return ptr.Deref(get(rs).Status.Active, false) }).Should(BeTrue())

		Expect(k8s.Delete(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionReady, metav1.ConditionFalse, api.ReasonSlotActive)
		Expect(c.Message).To(And(ContainSubstring("in use: held by pid"),
			ContainSubstring("application "+pgtest.HoldApplicationName), ContainSubstring("it is live")))
		Consistently(slotExists(primary, "busy"), "2s").Should(BeTrue())

		release()
		Eventually(slotExists(primary, "busy")).Should(BeFalse())
	})

	It("adopts a matching slot that already exists, and on deletion leaves it unless deletionPolicy is Delete", func() {
		ns, ps := defaultServer()
		Expect(primary.Exec(bg, "SELECT pg_create_physical_replication_slot('preexisting', true)")).To(Succeed())
		rs := physicalSlot(ns, "preexisting", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(rs.Status.Owned).To(BeTrue())
		Expect(rs.Status.Origin).To(Equal(api.OriginAdopted))
		Expect(rs.Spec.DeletionPolicy).To(Equal(api.DeletionDeleteIfCreated))
		Expect(rs.Status.Recreations).To(BeZero())
		deleteAndWait(rs)
		Expect(slotExists(primary, "preexisting")()).To(BeTrue(), "an adopted slot is not this object's to drop by default")

		By("declaring it again with deletionPolicy: Delete, deletion drops it")
		again := physicalSlot(ns, "preexisting", ps.Name)
		again.Spec.DeletionPolicy = api.DeletionDelete
		Expect(k8s.Create(bg, again)).To(Succeed())
		waitCondition(again, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(again.Status.Origin).To(Equal(api.OriginAdopted))
		deleteAndWait(again)
		Expect(slotExists(primary, "preexisting")()).To(BeFalse())
	})

	It("records a slot it created as Created and drops it on deletion by default", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "made-here", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(rs.Status.Origin).To(Equal(api.OriginCreated))
		deleteAndWait(rs)
		Expect(slotExists(primary, "made_here")()).To(BeFalse())
	})

	It("does not adopt the slot a standby streams through unless asked", func() {
		ns, ps := defaultServer()
		const name = "ctl_standby" // the suite's standby streams through it
		rs := physicalSlot(ns, "ctl-standby", ps.Name)
		c := func() metav1.Condition {
			Expect(k8s.Create(bg, rs)).To(Succeed())
			return waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		}()
		Expect(c.Message).To(ContainSubstring("streams through"))
		Expect(c.Message).To(ContainSubstring("adoption: IfMatchingWithStandby"))
		Expect(get(rs).Status.Owned).To(BeFalse())
		deleteAndWait(rs)
		Expect(slotExists(primary, name)()).To(BeTrue(), "the standby's slot is untouched")
	})

	It("leaves alone a slot replaced by another kind before its drop", func() {
		ns, ps := defaultServer()
		rs := logicalSlot(ns, "replaced", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		By("somebody replaces it with a physical slot of the same name, in one statement")
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('replaced'), pg_create_physical_replication_slot('replaced')")).To(Succeed())
		deleteAndWait(rs)
		Expect(slotExists(primary, "replaced")()).To(BeTrue(), "the physical slot is not this object's")
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('replaced')")).To(Succeed())
	})

	It("recreates a slot dropped behind its back and reports the data gap", func() {
		ns, ps := defaultServer()
		rs := logicalSlot(ns, "vanishing", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		from := rs.Status.ConfirmedFlushLSN

		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('vanishing')")).To(Succeed())
		Expect(primary.Exec(bg, "CREATE TABLE IF NOT EXISTS gap_filler(x int); INSERT INTO gap_filler SELECT generate_series(1,1000)")).To(Succeed())

		gap := waitCondition(rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonMissing)
		Expect(gap.Message).To(ContainSubstring(from))
		Expect(rs.Status.Recreations).To(Equal(int32(1)))
		Expect(rs.Status.LastDataGap).NotTo(BeNil())
		Expect(rs.Status.LastDataGap.FromLSN).To(Equal(from))
		Expect(rs.Status.LastDataGap.ToLSN).NotTo(BeEmpty())
		Expect(slotExists(primary, "vanishing")()).To(BeTrue())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		By("acknowledging the gap with the annotation")
		patch := client.MergeFrom(rs.DeepCopy())
		rs.Annotations = map[string]string{api.AnnotationAcknowledgeDataGap: rs.Status.LastDataGap.At.UTC().Format("2006-01-02T15:04:05Z")}
		Expect(k8s.Patch(bg, rs, patch)).To(Succeed()) // an update would race status writes
		Eventually(func() bool {
			for _, c := range get(rs).Status.Conditions {
				if c.Type == api.ConditionDataGap {
					return true
				}
			}
			return false
		}).Should(BeFalse())
	})

	It("creates a slot on a standby member when location asks for it", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "cascade", ps.Name)
		rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: standby.Host, Port: int32(standby.Port)}
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(rs.Status.Host).To(Equal(standby.Addr()))
		Expect(slotExists(standby, "cascade")()).To(BeTrue())
		Expect(slotExists(primary, "cascade")()).To(BeFalse())
		deleteAndWait(rs)
		Expect(slotExists(standby, "cascade")()).To(BeFalse())
	})

	It("waits for its slots before a PostgresServer goes away", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "last-one", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(k8s.Delete(bg, ps)).To(Succeed())
		waitCondition(ps, api.ConditionReady, metav1.ConditionFalse, api.ReasonDeleting)
		deleteAndWait(rs)
		Expect(slotExists(primary, "last_one")()).To(BeFalse(), "the slot was dropped while the server still existed")
		Eventually(func() error { return k8s.Get(bg, client.ObjectKeyFromObject(ps), ps) }).ShouldNot(Succeed())
	})
})
