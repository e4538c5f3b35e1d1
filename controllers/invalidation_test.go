package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// invalidate makes PostgreSQL invalidate every inactive slot of s that
// holds WAL: more WAL than max_slot_wal_keep_size, then a checkpoint.
func invalidate(s *pgtest.Server) {
	for range 3 {
		Expect(s.Exec(bg, "CREATE TABLE IF NOT EXISTS churn(x text); INSERT INTO churn SELECT repeat('x', 1000) FROM generate_series(1, 2000)")).To(Succeed())
		Expect(s.Exec(bg, "SELECT pg_switch_wal()")).To(Succeed())
	}
	Expect(s.Exec(bg, "CHECKPOINT")).To(Succeed())
}

var _ = Describe("invalidated slots", Ordered, func() {
	var small *pgtest.Server
	BeforeAll(func() {
		small = startServer("small-wal", map[string]string{"max_slot_wal_keep_size": "1MB", "wal_keep_size": "0"})
	})

	It("recreates an invalidated logical slot with a DataGap (Recreate), and leaves one alone with Keep", func() {
		ns, ps := serverOn(small)
		recreate := logicalSlot(ns, "recreated", ps.Name)
		keep := logicalSlot(ns, "kept-invalidated", ps.Name)
		keep.Spec.InvalidationPolicy = api.InvalidationKeep
		Expect(k8s.Create(bg, recreate)).To(Succeed())
		Expect(k8s.Create(bg, keep)).To(Succeed())
		waitCondition(recreate, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(keep, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		from := recreate.Status.ConfirmedFlushLSN

		invalidate(small)

		// Within a poll (1 s here) and a reconcile, well before the 30 s
		// refresh of a Ready slot: the churn often invalidates both slots
		// before the first poll that lists them, and that poll must wake
		// their objects although no earlier snapshot held the slots.
		Eventually(func(g Gomega) {
			c := getCondition(recreate, api.ConditionDataGap)
			g.Expect(c).NotTo(BeNil(), "condition DataGap missing")
			g.Expect(c.Reason).To(Equal(api.ReasonInvalidated), c.Message)
			k := getCondition(keep, api.ConditionStalled)
			g.Expect(k).NotTo(BeNil(), "condition Stalled missing")
			g.Expect(k.Reason).To(Equal(api.ReasonInvalidated), k.Message)
		}, "10s", "250ms").Should(Succeed())
		gap := waitCondition(recreate, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(gap.Message).To(ContainSubstring(from))
		waitCondition(recreate, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		// The churn may go on past the first recreation and invalidate the
		// new slot too: each one is a recreation of its own.
		Expect(recreate.Status.Recreations).To(BeNumerically(">=", 1))
		Expect(recreate.Status.WALStatus).NotTo(Equal("lost"))

		c := waitCondition(keep, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(c.Message).To(And(ContainSubstring("invalidationPolicy"), ContainSubstring("wal_removed")))
		Expect(get(keep).Status.WALStatus).To(Equal("lost"))
		Expect(keep.Status.Recreations).To(BeZero())
		Expect(slotExists(small, "kept_invalidated")()).To(BeTrue(), "Keep leaves the invalidated slot in place")
	})
})

// idle_replication_slot_timeout exists from PostgreSQL 18 on.
var _ = Describe("slots invalidated for being idle", func() {
	if major < 18 {
		return
	}
	It("are recreated with a DataGap naming the invalidation (idle_timeout), or kept Stalled with Keep", func() {
		idle := startServer("idle-timeout", map[string]string{"idle_replication_slot_timeout": "1s"})
		ns, ps := serverOn(idle)
		rs := logicalSlot(ns, "idler", ps.Name)
		keep := logicalSlot(ns, "idle-keep", ps.Name)
		keep.Spec.InvalidationPolicy = api.InvalidationKeep
		for _, o := range []*api.ReplicationSlot{rs, keep} {
			Expect(k8s.Create(bg, o)).To(Succeed())
			waitCondition(o, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		}

		By("a checkpoint after the slot sat idle past the timeout invalidates it")
		Eventually(func(g Gomega) {
			g.Expect(idle.Exec(bg, "CHECKPOINT")).To(Succeed())
			c := getCondition(rs, api.ConditionDataGap)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(api.ReasonInvalidated))
		}, "30s", "1s").Should(Succeed())
		Expect(get(rs).Status.Recreations).To(Equal(int32(1)))
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		c := waitCondition(keep, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(c.Message).To(ContainSubstring("idle_timeout"))
		Expect(get(keep).Status.InvalidationReason).To(Equal("idle_timeout"))
		Expect(slotExists(idle, "idle_keep")()).To(BeTrue(), "Keep leaves the invalidated slot in place")
	})
})
