package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Logical slots on a standby (16+) are invalidated when the primary removes
// catalog rows they still need: rows_removed on 17+, conflicting on 16.
// Without hot_standby_feedback nothing holds the primary back, so dropping a
// table and vacuuming pg_class does it (as PostgreSQL's own tests do).
var _ = Describe("logical slots on a standby invalidated by removed catalog rows", func() {
	if major < 16 {
		return
	}
	It("are recreated with a DataGap (Recreate) or left Stalled naming the reason (Keep)", func() {
		p, sb := newPairWith("rowsremoved", map[string]string{"hot_standby_feedback": "off"})
		// Self-heal for the recreation on the standby.
		Expect(p.Exec(bg, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+opRole)).To(Succeed())
		ns, ps := serverOn(p, sb)
		recreate, keep := logicalSlot(ns, "conflict-recreate", ps.Name), logicalSlot(ns, "conflict-keep", ps.Name)
		keep.Spec.InvalidationPolicy = api.InvalidationKeep
		for _, rs := range []*api.ReplicationSlot{recreate, keep} {
			rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: sb.Host, Port: int32(sb.Port)}
			Expect(k8s.Create(bg, rs)).To(Succeed())
			waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		}

		// pg_class is per database: the rows must go in the slots' database.
		conn, err := p.Connect(bg, "orders")
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close(bg)
		for _, q := range []string{"CREATE TABLE conflict_test(x int)", "DROP TABLE conflict_test", "VACUUM pg_class"} {
			_, err = conn.Exec(bg, q)
			Expect(err).NotTo(HaveOccurred())
		}

		want := "rows_removed"
		if major == 16 {
			want = "conflicting"
		}
		c := waitCondition(keep, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(c.Message).To(And(ContainSubstring(want), ContainSubstring("invalidationPolicy")))
		Expect(slotExists(sb, "conflict_keep")()).To(BeTrue(), "Keep leaves the invalidated slot in place")
		Expect(get(keep).Status.Recreations).To(BeZero())

		gap := waitCondition(recreate, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(gap.Message).To(ContainSubstring("Invalidated"))
		waitCondition(recreate, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(recreate).Status.Recreations).To(Equal(int32(1)))
		Expect(recreate.Status.InvalidationReason).To(BeEmpty())
	})

	It("are invalidated when the primary drops to wal_level replica (wal_level_insufficient): Keep says so, Recreate waits as WALLevelTooLow and recreates once it is back", func() {
		p, sb := newPair("walleveldrop")
		ns, ps := serverOn(p, sb)
		keep, recreate := logicalSlot(ns, "level-keep", ps.Name), logicalSlot(ns, "level-recreate", ps.Name)
		keep.Spec.InvalidationPolicy = api.InvalidationKeep
		Expect(p.Exec(bg, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+opRole)).To(Succeed())
		for _, rs := range []*api.ReplicationSlot{keep, recreate} {
			rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: sb.Host, Port: int32(sb.Port)}
			Expect(k8s.Create(bg, rs)).To(Succeed())
			waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		}

		Expect(p.SetSettings(bg, map[string]string{"wal_level": "replica"}, true)).To(Succeed())

		want := "wal_level_insufficient"
		if major == 16 {
			want = "conflicting"
		}
		c := waitCondition(keep, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(c.Message).To(ContainSubstring(want))
		Expect(slotExists(sb, "level_keep")()).To(BeTrue(), "Keep leaves the invalidated slot in place")
		Expect(get(keep).Status.Recreations).To(BeZero())

		// Recreate drops the invalidated slot, which no consumer can use, but
		// a new one cannot be made on the standby until the primary has
		// wal_level logical again: a human has to act, and the message says what.
		stalled := waitCondition(recreate, api.ConditionStalled, metav1.ConditionTrue, api.ReasonWALLevelTooLow)
		Expect(stalled.Message).To(ContainSubstring("wal_level"))
		waitCondition(recreate, api.ConditionReady, metav1.ConditionFalse, api.ReasonWALLevelTooLow)
		Expect(slotExists(sb, "level_recreate")()).To(BeFalse())
		Expect(get(recreate).Status.Recreations).To(BeZero())

		Expect(p.SetSettings(bg, map[string]string{"wal_level": "logical"}, true)).To(Succeed())
		waitCondition(recreate, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		gap := waitCondition(recreate, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonInvalidated)
		Expect(gap.Message).To(ContainSubstring("Invalidated"))
		Expect(get(recreate).Status.Recreations).To(Equal(int32(1)))
		Expect(slotExists(sb, "level_recreate")()).To(BeTrue())
		Expect(slotExists(sb, "level_keep")()).To(BeTrue(), "Keep still leaves its slot alone")
	})
})
