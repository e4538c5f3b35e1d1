package e2e

import (
	"context"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// The samples' lifecycle is one ordered story: apply, inspect, consume,
// delete. ContinueOnFailure: a wrong column must not hide what deletion does.
var _ = Describe("config/samples", Ordered, ContinueOnFailure, func() {
	BeforeAll(applySamples)
	samplesSpecs()
	finalizerPolicySpecs()
	consumerSpecs()
	deletionSpecs()
})

// applySamples applies config/samples as a user would, with the ports
// pointed at the test servers, and waits with kubectl wait.
func applySamples() {
	manifest, err := harness.RenderSamples(context.Background(), kctl, paths.Root,
		pg.Primary.Port, pg.Standby.Port)
	Expect(err).NotTo(HaveOccurred())
	Expect(kubectlIn(manifest, "apply", "-f", "-")).To(And(
		ContainSubstring("secret/slotkeeper-pg created"),
		ContainSubstring("postgresserver.pg.slotkeeper.dev/demo-db created"),
		ContainSubstring("replicationslot.pg.slotkeeper.dev/orders-cdc created"),
		ContainSubstring("replicationslot.pg.slotkeeper.dev/standby-b created"),
	))
	kubectl("wait", "--for=condition=Ready", "pgserver/demo-db", "--timeout=60s")
	kubectl("wait", "--for=condition=Ready", "rslot", "--all", "--timeout=60s")
	samplesReady = time.Now()
}

// samplesReady is when kubectl wait saw every sample slot Ready.
var samplesReady time.Time

// slotsCountLag bounds how long after the slots' Ready the server's SLOTS
// column may still be catching up: a creation has the monitor probe at
// once, so this is one probe and one status patch, far below the 5 s poll
// interval a count that waited for the next poll would need.
const slotsCountLag = time.Second

func samplesSpecs() {
	It("creates the declared slots in PostgreSQL", func() {
		cdc, ok, err := pgSlot("orders_cdc")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "orders_cdc missing on the primary")
		Expect([]string{cdc.Type, cdc.Database, cdc.Plugin}).To(Equal([]string{"logical", "orders", "pgoutput"}))
		sb, ok, err := pgSlot("standby_b")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "standby_b missing on the primary")
		Expect(sb.Type).To(Equal("physical"))
		Expect(sb.RestartLSN).NotTo(BeEmpty(), "reserveWAL: true must reserve WAL at creation")
	})

	It("shows the slots in kubectl get rslot", func() {
		rows := byName(table(kubectl("get", "rslot")))
		Expect(rows).To(HaveLen(2))
		for name, want := range map[string][2]string{
			"orders-cdc": {"orders_cdc", "Logical"},
			"standby-b":  {"standby_b", "Physical"},
		} {
			Expect(rows).To(HaveKey(name))
			r := rows[name]
			Expect(r["SLOT"]).To(Equal(want[0]), name)
			Expect(r["TYPE"]).To(Equal(want[1]), name)
			Expect(r["SERVER"]).To(Equal("demo-db"), name)
			Expect(r["READY"]).To(Equal("True"), name)
			Expect(r["STATUS"]).To(Equal("inactive: no consumer connected"), name)
			Expect(r["RETAINED"]).NotTo(BeEmpty(), name)
			Expect(r["ACTIVE"]).To(Equal("false"), "%s: status.active must be written even when false", name)
		}
	})

	It("shows the slots' member and restart LSN in kubectl get rslot -o wide", func() {
		for name, r := range byName(table(kubectl("get", "rslot", "-o", "wide"))) {
			Expect(r["HOST"]).To(Equal(pg.Primary.Addr()), name)
			Expect(r["RESTART LSN"]).To(MatchRegexp(`^[0-9A-F]+/[0-9A-F]+$`), name)
		}
	})

	It("shows the server in kubectl get pgserver", func() {
		// SLOTS comes from the monitor's view of the primary. A creation,
		// in the background for a logical slot too, asks the monitor to
		// probe at once, so the count follows the slots' Ready within a
		// probe, not at the next poll.
		deadline := samplesReady.Add(slotsCountLag)
		Eventually(jsonpath("pgserver/demo-db", "{.status.slots.managed}")).
			WithTimeout(max(time.Until(deadline), time.Millisecond)).Should(Equal("2"),
			"SLOTS must show both slots within %s of their Ready", slotsCountLag)
		AddReportEntry("SLOTS 2 seen after the slots' Ready", time.Since(samplesReady).Round(time.Millisecond).String())
		rows := table(kubectl("get", "pgserver"))
		Expect(rows).To(HaveLen(1))
		r := rows[0]
		Expect(r["NAME"]).To(Equal("demo-db"))
		Expect(r["PRIMARY"]).To(Equal(pg.Primary.Addr()))
		Expect(r["TIMELINE"]).To(Equal("1"))
		Expect(r["VERSION"]).To(MatchRegexp(`^` + strconv.Itoa(pgMajor) + `\.\d+$`))
		Expect(r["SLOTS"]).To(Equal("2"))
		Expect(r["READY"]).To(Equal("True"))
	})

	It("records a Created event for each slot", func() {
		Eventually(func() (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			return kctl.Output(ctx, "get", "events", "--field-selector", "reason=Created",
				"-o", `jsonpath={range .items[*]}{.involvedObject.kind}/{.involvedObject.name}{"\n"}{end}`)
		}).Should(And(
			ContainSubstring("ReplicationSlot/orders-cdc"),
			ContainSubstring("ReplicationSlot/standby-b"),
		))
		Expect(kubectl("events", "--for", "rslot/orders-cdc")).To(And(
			ContainSubstring("Created"), ContainSubstring("orders_cdc")))
	})
}
