package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The PostgresServer's recreation record outlives its use only until every
// object it names has recorded its slot on the promoted member.
var _ = Describe("a failover's recreation record", func() {
	writeRecord := func(ps *api.PostgresServer, rec *api.SlotRecreation) {
		cur := get(ps)
		patch := client.MergeFrom(cur.DeepCopy())
		cur.Status.Recreation = rec
		Expect(k8s.Status().Patch(bg, cur, patch)).To(Succeed())
	}

	It("is cleared once every slot it names is recorded there, and kept while one is not", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "recorded", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		old := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))

		By("a slot it names not seen since the promotion: kept")
		writeRecord(ps, &api.SlotRecreation{Member: standby.Addr(), Timeline: 2, Slots: []string{"recorded"}, At: old})
		Consistently(func() *api.SlotRecreation { return get(ps).Status.Recreation }, "3s").ShouldNot(BeNil())

		By("every slot it names recorded on the member, or its object gone: cleared")
		writeRecord(ps, &api.SlotRecreation{Member: primary.Addr(), Timeline: 1, Slots: []string{"recorded", "deleted"}, At: old})
		Eventually(func() *api.SlotRecreation { return get(ps).Status.Recreation }).Should(BeNil())

		By("a young record is kept though every slot is recorded")
		writeRecord(ps, &api.SlotRecreation{Member: primary.Addr(), Timeline: 1, Slots: []string{"recorded"}, At: metav1.Now()})
		Consistently(func() *api.SlotRecreation { return get(ps).Status.Recreation }, "3s").ShouldNot(BeNil())
		deleteAndWait(rs)
	})
})
