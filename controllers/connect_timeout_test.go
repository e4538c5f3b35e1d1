package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// slowLinkDelay is what the proxy adds to every chunk it forwards, each
// way. A SCRAM handshake is six chunks and a probe two queries more (four
// chunks), so a probe needs about 7 s: past the default 5 s bound, well
// within 30 s.
const slowLinkDelay = 700 * time.Millisecond

var _ = Describe("spec.connectTimeout", func() {
	It("reports a link slower than the bound as unreachable, naming the setting, and works once it is raised", func() {
		proxy, err := pgtest.StartProxy(primary.Addr())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		proxy.SetDelay(slowLinkDelay)
		ns, ps := serverOn(&pgtest.Server{Host: proxy.Host(), Port: proxy.Port()})
		Expect(get(ps).Spec.ConnectTimeout).To(Equal(api.NewDuration(5*time.Second)), "the CRD's default")

		c := waitCondition(ps, api.ConditionReady, metav1.ConditionFalse, api.ReasonServerUnavailable)
		Expect(c.Message).To(ContainSubstring("no answer within 5s (spec.connectTimeout"))

		By("raising spec.connectTimeout to 30s")
		patch := client.MergeFrom(ps.DeepCopy())
		ps.Spec.ConnectTimeout = api.NewDuration(30 * time.Second)
		Expect(k8s.Patch(bg, ps, patch)).To(Succeed())
		Eventually(readyStatus).WithArguments(ps).WithTimeout(2 * time.Minute).Should(Equal(metav1.ConditionTrue))
		By("the server is Ready; creating a slot over the slow link")

		ph := physicalSlot(ns, "over-slow-link", "db")
		Expect(k8s.Create(bg, ph)).To(Succeed())
		Eventually(readyStatus).WithArguments(ph).WithTimeout(2 * time.Minute).Should(Equal(metav1.ConditionTrue))
		Expect(slotExists(primary, "over_slow_link")()).To(BeTrue())
	})
})

// readyStatus is the status of obj's Ready condition, "" while it has none.
func readyStatus(obj client.Object) metav1.ConditionStatus {
	if err := k8s.Get(bg, client.ObjectKeyFromObject(obj), obj); err != nil {
		return ""
	}
	if c := meta.FindStatusCondition(conditionsOf(obj), api.ConditionReady); c != nil {
		return c.Status
	}
	return ""
}
