package e2e

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// samplePollInterval is spec.pollInterval of config/samples' PostgresServer.
const samplePollInterval = 5 * time.Second

// releaseConsumer stops the streaming consumer of orders_cdc; nil when none.
var releaseConsumer func()

func consumerSpecs() {
	// Whatever happens to the specs, the consumer must not outlive them:
	// the operator would wait for it forever on deletion.
	AfterAll(func() {
		if releaseConsumer != nil {
			releaseConsumer()
		}
	})

	It("shows a consumer that attaches to orders_cdc within the poll interval", func() {
		// The superuser may create the publication pgoutput needs.
		dsn := pg.Primary.SuperuserDSN("orders")
		release, err := pgtest.HoldSlot(context.Background(), dsn, "orders_cdc", true)
		Expect(err).NotTo(HaveOccurred())
		releaseConsumer = release
		attached := time.Now()

		// One poll to see it and a reconcile to write it; twice the interval
		// leaves room for a slow machine without hiding a missed wake-up.
		Eventually(jsonpath("rslot/orders-cdc", "{.status.active}")).
			WithTimeout(2 * samplePollInterval).Should(Equal("true"))
		AddReportEntry("consumer visible in status after", time.Since(attached).Round(time.Millisecond).String())

		r := byName(table(kubectl("get", "rslot")))["orders-cdc"]
		Expect(r["ACTIVE"]).To(Equal("true"))
		Expect(r["READY"]).To(Equal("True"))
		Expect(r["STATUS"]).To(MatchRegexp(`^active: %s \(pid \d+\)$`, pgtest.HoldApplicationName))
	})

	It("reports the consumer's backend in status", func() {
		slot, ok, err := pgSlot("orders_cdc")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(slot.Active).To(BeTrue())
		Expect(kubectl("get", "rslot/orders-cdc", "-o", "jsonpath={.status.consumer.applicationName}")).
			To(Equal(pgtest.HoldApplicationName))
	})
}
