package chaos

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// holeFor is how long the network stays black-holed at least.
	holeFor = 15 * time.Second
	// notReadyBound bounds how soon the server must admit it is
	// unreachable: a poll interval, the probe's bound (spec.connectTimeout,
	// 5 s by default), a reconcile, with room for a busy machine.
	notReadyBound = 30 * time.Second
	// healthyBound bounds the creation of a physical slot on a healthy
	// server while the other one is black-holed. It takes well under a
	// second when a worker is free; the rest is room for workers that are
	// busy with the black-holed server until their calls time out (the
	// probe's 5 s would do). The hole lasts until this has been checked.
	healthyBound = 20 * time.Second
)

// Scenario 4: the network to PostgreSQL black-holes (no FIN, no RST: bytes
// just stop) for a while, with reconciles in flight. Each expectation is a
// spec of its own, so one failing does not hide the others.
var _ = Describe("black-holed connections", Label("blackhole"), Ordered, ContinueOnFailure, func() {
	var (
		s, healthy *scenario
		sm         *sampler
		holed      time.Time
		start      time.Time
	)

	BeforeAll(func() {
		start = time.Now()
		s = newScenario("hole")
		other := startServer(context.Background(), "chaos-healthy")
		DeferCleanup(other.Cleanup)
		healthy = newScenarioOn("healthy", other, other.Host, other.Port)
		existing := s.declare("before", counts.BlackholeSlots)
		Eventually(s.readyCount).WithArguments(existing).Should(Equal(len(existing)))
		DeferCleanup(proxy.Blackhole, false)

		By("black-holing the proxy, then declaring slots before the operator can notice")
		sm = startSampler(s)
		proxy.Blackhole(true)
		holed = time.Now()
		// The monitor's last snapshot still shows a healthy primary for up
		// to a probe timeout, so these reconciles go on to talk to the
		// black-holed server: more of them than the operator has workers.
		s.declare("during", counts.BlackholeSlots)
	})

	It("reports the server unreachable within the bound", func() {
		Eventually(s.serverReady).WithTimeout(notReadyBound).ShouldNot(Equal(metav1.ConditionTrue))
		report("blackhole: PostgresServer Ready=False after", time.Since(holed).Round(100*time.Millisecond))
		report("blackhole: PostgresServer Ready while black-holed", s.serverReadyLine())
	})

	It("keeps reconciling a slot on another, healthy server meanwhile", func() {
		names := healthy.declare("mid", 1)
		asked := time.Now()
		Eventually(healthy.readyCount).WithArguments(names).WithTimeout(healthyBound).Should(Equal(1),
			"a slot on a healthy server must not wait for a black-holed one: every call to PostgreSQL must be bounded")
		report("blackhole: slot on the healthy server Ready after", time.Since(asked).Round(100*time.Millisecond))
	})

	It("neither drops nor recreates anything, nor piles up, while black-holed", func() {
		Expect(s.nothingLost()).To(Succeed())
		if rest := time.Until(holed.Add(holeFor)); rest > 0 {
			Consistently(s.nothingLost).WithTimeout(rest).WithPolling(time.Second).Should(Succeed())
		}
		// Every slot of the black-holed server turns Ready=False at once.
		expectNoPileUp("blackhole: while black-holed", sm.finish(), s.baseline, 2*counts.BlackholeSlots)
		expectSettled("blackhole: still black-holed", s.baseline)
	})

	It("converges after the heal with no recreation", func() {
		proxy.Blackhole(false)
		healed := time.Now()
		s.expectInvariants(nil, noSlotLost)
		report("blackhole: heal to every invariant", time.Since(healed).Round(time.Second))
		healthy.expectInvariants(nil, noSlotLost)
		report("scenario 4 took", time.Since(start).Round(time.Second))
	})
})
