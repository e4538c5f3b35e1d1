package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// deletionSpecs run after consumerSpecs: orders_cdc is held by a consumer.
func deletionSpecs() {
	It("keeps the slot when a Retain object is deleted", func() {
		kubectl("patch", "rslot/standby-b", "--type=merge", "-p", `{"spec":{"deletionPolicy":"Retain"}}`)
		Expect(kubectl("delete", "rslot/standby-b", "--wait", "--timeout=60s")).
			To(ContainSubstring(`"standby-b" deleted`))
		Expect(kubectlRefused("", "get", "rslot/standby-b")).To(ContainSubstring("NotFound"))
		Consistently(slotExists("standby_b")).WithTimeout(samplePollInterval).Should(BeTrue(),
			"deletionPolicy Retain must leave the slot in PostgreSQL")
	})

	It("refuses to drop a slot while a consumer holds it", func() {
		Expect(releaseConsumer).NotTo(BeNil(), "needs the consumer of the previous specs")
		kubectl("delete", "rslot/orders-cdc", "--wait=false")
		Eventually(jsonpath("rslot/orders-cdc", readyReason)).Should(Equal("SlotActive"))
		r := byName(table(kubectl("get", "rslot")))["orders-cdc"]
		Expect(r["READY"]).To(Equal("False"))
		Expect(r["STATUS"]).NotTo(BeEmpty())
		// The object waits with its finalizer and the slot stays, poll after poll.
		Consistently(jsonpath("rslot/orders-cdc", "{.metadata.deletionTimestamp}")).
			WithTimeout(2 * samplePollInterval).ShouldNot(BeEmpty())
		Expect(slotExists("orders_cdc")()).To(BeTrue())
	})

	It("drops the slot and lets the object go once the consumer leaves", func() {
		Expect(releaseConsumer).NotTo(BeNil(), "needs the consumer of the previous specs")
		releaseConsumer()
		releaseConsumer = nil
		released := time.Now()
		kubectl("wait", "--for=delete", "rslot/orders-cdc", "--timeout=60s")
		AddReportEntry("object gone after the consumer left", time.Since(released).Round(time.Millisecond).String())
		Expect(slotExists("orders_cdc")()).To(BeFalse(), "deletionPolicy Delete must drop the slot")
	})
}
