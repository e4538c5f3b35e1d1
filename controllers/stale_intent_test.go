package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// A creation whose outcome was never known (its connection was cut
// mid-statement, or the server's endpoint has changed since) leaves its
// intent, status.origin Created, in place. When the slot of that name on
// the cluster is another namespace's, the intent must not take it: the
// holder would have counted this object as creating the slot and never
// adopted one it made, so the slot is somebody else's, and deleting this
// object would drop it.
var _ = Describe("A creation intent left by an unknown outcome", func() {
	It("never takes the slot another namespace holds, and its deletion drops nothing", func() {
		nsA, psA := defaultServer()
		a := createNamedSlot(nsA, "team-a", psA.Name, "intent_across")
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		nsB := newNamespace()
		b := createNamedSlot(nsB, "team-b", "db", "intent_across") // its server comes later
		Eventually(func() error {
			return k8s.Status().Patch(bg, get(b), client.RawPatch(types.MergePatchType, []byte(`{"status":{"origin":"Created"}}`)))
		}).Should(Succeed())
		Eventually(func() api.SlotOrigin { return get(b).Status.Origin }).Should(Equal(api.OriginCreated))
		createSecret(nsB, "pg", opRole, opPassword)
		createServer(nsB, "db", "pg", primary, standby)

		c := waitCondition(b, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("another namespace"))
		Consistently(func() bool { return get(b).Status.Owned }, "3s").Should(BeFalse())
		Expect(eventNotes(nsB, api.ReasonAdopted)()).To(BeEmpty())

		deleteAndWait(b)
		Expect(slotExists(primary, "intent_across")()).To(BeTrue(), "another namespace's slot was dropped")
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(a).Status.Owned).To(BeTrue())
		deleteAndWait(a)
		Expect(slotExists(primary, "intent_across")()).To(BeFalse())
	})
})
