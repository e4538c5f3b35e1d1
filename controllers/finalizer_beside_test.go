package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// A backup or GitOps tool may hold a finalizer of its own on the object.
// The deletion drops the slot once, records that it sent the DROP, and
// removes its own finalizer alone; the object goes when the other
// controller lets it.
var _ = Describe("Deletion beside another controller's finalizer", func() {
	It("drops the slot, records the DROP, and removes only slotkeeper's finalizer", func() {
		const other = "example.com/keep"
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "beside", ps.Name)
		rs.Finalizers = []string{other}
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(rs).Finalizers).To(ConsistOf(other, api.FinalizerName))

		Expect(k8s.Delete(bg, rs)).To(Succeed())
		Eventually(slotExists(primary, "beside")).Should(BeFalse())
		finalizers := func() []string { return get(rs).Finalizers }
		Eventually(finalizers).Should(Equal([]string{other}))
		Consistently(finalizers, "2s").Should(Equal([]string{other}))
		Expect(rs.Status.DropSentAt).NotTo(BeNil(), "the DROP was sent without its record")

		patch := fmt.Sprintf(`[{"op":"test","path":"/metadata/finalizers/0","value":%q},{"op":"remove","path":"/metadata/finalizers/0"}]`, other)
		Expect(k8s.Patch(bg, rs, client.RawPatch(types.JSONPatchType, []byte(patch)))).To(Succeed())
		Eventually(func() bool { return apierrors.IsNotFound(k8s.Get(bg, client.ObjectKeyFromObject(rs), rs)) }).Should(BeTrue())
	})
})
