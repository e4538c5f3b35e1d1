package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

var _ = Describe("Data gaps not yet acknowledged", func() {
	// An HA manager that drops slots it does not know makes this happen at
	// every switchover: the second recreation must widen the window the
	// consumer lost, never replace it.
	It("merge two recreations into one window until acknowledged", func() {
		ns, ps := defaultServer()
		rs := logicalSlot(ns, "twice-lost", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		from := rs.Status.ConfirmedFlushLSN

		By("the first drop behind slotkeeper's back")
		dropAndWrite("twice_lost")
		Eventually(func() int32 { return get(rs).Status.Recreations }).Should(Equal(int32(1)))
		first := *get(rs).Status.LastDataGap
		Expect(first.FromLSN).To(Equal(from))
		// Distinct seconds, so each gap has its own acknowledgement value.
		time.Sleep(1100 * time.Millisecond)

		By("the second drop, before anyone acknowledged the first")
		dropAndWrite("twice_lost")
		Eventually(func() int32 { return get(rs).Status.Recreations }).Should(Equal(int32(2)))
		st := get(rs).Status
		w := st.LastDataGap
		Expect(w.FromLSN).To(Equal(from), "the window starts where the consumer was before the first loss")
		Expect(mustLSN(w.ToLSN)).To(BeNumerically(">", mustLSN(first.ToLSN)))
		Expect(w.Recreations).To(Equal(int32(2)))
		Expect(*w.Bytes).To(Equal(int64(mustLSN(w.ToLSN) - mustLSN(from))))
		Expect(st.DataGaps).To(HaveLen(2))
		Expect(st.Vanished).To(Equal(int32(2)))
		c := waitCondition(rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonMissing)
		Expect(c.Message).To(And(ContainSubstring(from), ContainSubstring(w.ToLSN), ContainSubstring("2 times")))

		By("acknowledging the first gap only: the window shrinks to the second")
		acknowledge(rs, status.AckValue(st.DataGaps[0].At))
		Eventually(func() string { return get(rs).Status.LastDataGap.FromLSN }).Should(Equal(st.DataGaps[1].FromLSN))
		Expect(get(rs).Status.DataGaps).To(HaveLen(1))
		waitCondition(rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonMissing)

		By("acknowledging the window clears the condition")
		acknowledge(rs, status.AckValue(get(rs).Status.LastDataGap.At))
		Eventually(func() bool { return hasCondition(get(rs), api.ConditionDataGap) }).Should(BeFalse())
		Expect(get(rs).Status.DataGaps).To(BeEmpty())
	})
})

func dropAndWrite(slot string) {
	GinkgoHelper()
	Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('"+slot+"')")).To(Succeed())
	Expect(primary.Exec(bg, "CREATE TABLE IF NOT EXISTS gap_filler(x int); INSERT INTO gap_filler SELECT generate_series(1,1000)")).To(Succeed())
}

func acknowledge(rs *api.ReplicationSlot, at string) {
	GinkgoHelper()
	cur := get(rs)
	patch := client.MergeFrom(cur.DeepCopy())
	cur.Annotations = map[string]string{api.AnnotationAcknowledgeDataGap: at}
	Expect(k8s.Patch(bg, cur, patch)).To(Succeed())
}

func hasCondition(rs *api.ReplicationSlot, t string) bool {
	for _, c := range rs.Status.Conditions {
		if c.Type == t {
			return true
		}
	}
	return false
}
