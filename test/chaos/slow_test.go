package chaos

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

const (
	// workableDelay is a slow network that the default spec.connectTimeout
	// (5 s for a connection, and for a probe: a handshake and two queries)
	// is meant to absorb: 300 ms per round trip.
	workableDelay = 150 * time.Millisecond
	// crawlDelay is the slow network: 2 s per chunk, 4 s per round
	// trip. A SCRAM handshake alone takes three round trips (12 s), past the
	// default 5 s connectTimeout, so the operator cannot reach PostgreSQL at
	// all (controllers/connect_timeout_test.go raises the bound for such a
	// link); what must hold is that it piles nothing up and breaks nothing.
	crawlDelay = 2 * time.Second
	// crawlFor is how long the 2 s delay lasts.
	crawlFor = 15 * time.Second
)

// Scenario 3: a slow network between the operator and PostgreSQL.
var _ = Describe("slow network", Label("slow"), func() {
	It("keeps working when slow, and breaks nothing when too slow", func() {
		start := time.Now()
		s := newScenario("slow")
		existing := s.declare("before", 2)
		Eventually(s.readyCount).WithArguments(existing).Should(Equal(len(existing)))
		DeferCleanup(proxy.SetDelay, time.Duration(0))

		By(fmt.Sprintf("creating slots with %v per chunk, then idling", workableDelay))
		proxy.SetDelay(workableDelay)
		sm := startSampler(s)
		slow := s.declare("slow", counts.SlowSlots)
		created := time.Now()
		Eventually(s.readyCount).WithArguments(slow).WithTimeout(2 * time.Minute).Should(Equal(len(slow)))
		report(fmt.Sprintf("slow: %d slots Ready at %v per chunk after", len(slow), workableDelay), time.Since(created).Round(time.Second))
		Consistently(s.allReadyAndServerReady).WithTimeout(4*pollInterval).WithPolling(500*time.Millisecond).
			Should(Succeed(), "idle at %v per chunk", workableDelay)
		expectNoPileUp(fmt.Sprintf("slow: at %v per chunk", workableDelay), sm.finish(), s.baseline, len(slow))

		By(fmt.Sprintf("creating slots with %v per chunk", crawlDelay))
		proxy.SetDelay(crawlDelay)
		sm = startSampler(s)
		crawl := s.declare("crawl", 2)
		Consistently(s.nothingLost).WithTimeout(crawlFor).WithPolling(time.Second).Should(Succeed())
		report(fmt.Sprintf("slow: PostgresServer Ready at %v per chunk", crawlDelay), s.serverReadyLine())
		// The server turns unreachable, and with it every slot.
		expectNoPileUp(fmt.Sprintf("slow: at %v per chunk", crawlDelay), sm.finish(), s.baseline,
			len(existing)+len(slow)+len(crawl))
		expectSettled(fmt.Sprintf("slow: still at %v per chunk", crawlDelay), s.baseline)

		proxy.SetDelay(0)
		s.expectInvariants(nil, noSlotLost)
		report("scenario 3 took", time.Since(start).Round(time.Second))
	})
})

// allReadyAndServerReady fails unless the server and every slot are Ready.
func (s *scenario) allReadyAndServerReady() error {
	st, err := s.serverReady()
	if err != nil || st != "True" {
		return fmt.Errorf("PostgresServer Ready=%q (%v): %s", st, err, s.serverReadyLine())
	}
	bad, err := s.unconverged(allReady)
	if err != nil || len(bad) > 0 {
		return fmt.Errorf("not Ready: %v %v", bad, err)
	}
	return nil
}

// nothingLost fails when a slot the operator owns is gone from PostgreSQL
// or an object counts a recreation: a fault that only slows or hides the
// server must not make the operator drop or recreate anything.
func (s *scenario) nothingLost() error {
	items, err := s.slots()
	if err != nil {
		return err
	}
	slots, err := pgSlots(s.pg)
	if err != nil {
		return err
	}
	for i := range items {
		rs := &items[i]
		if _, ok := slots[slotNameOf(rs)]; rs.Status.Owned && !ok {
			return fmt.Errorf("slot %s of %s is gone from PostgreSQL", slotNameOf(rs), rs.Name)
		}
		if rs.Status.Recreations > 0 {
			return fmt.Errorf("%s counts %d recreations", rs.Name, rs.Status.Recreations)
		}
	}
	for _, c := range s.canaries {
		if _, ok := slots[c]; !ok {
			return fmt.Errorf("canary %s dropped", c)
		}
	}
	return nil
}

// serverReadyLine is the server's Ready condition as one line.
func (s *scenario) serverReadyLine() string {
	ps, err := s.server()
	if err != nil {
		return err.Error()
	}
	c := meta.FindStatusCondition(ps.Status.Conditions, api.ConditionReady)
	if c == nil {
		return "no Ready condition"
	}
	return fmt.Sprintf("%s (%s: %s)", c.Status, c.Reason, c.Message)
}
