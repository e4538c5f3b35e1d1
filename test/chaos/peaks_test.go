package chaos

import (
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Bounds while a fault lasts: a client that opens a new connection for
// every timed-out attempt, or leaves a goroutine behind each time, climbs
// past these within seconds.
const (
	// peakSessions bounds the role's sessions in PostgreSQL during a fault:
	// the maintenance pool (2), the idle monitor connection (1) and the
	// creator's pool (2), plus a few whose client gave up but whose backend
	// has not noticed yet (the proxy delays or holds the FIN too).
	peakSessions = 8
	// peakProxyClients bounds the connections through the proxy that the
	// operator holds open: the same, plus attempts in progress. Connections
	// it closed do not count, even those a black hole keeps open at the
	// proxy (pgtest.Proxy.Clients).
	peakProxyClients = 12
	// statusWriteGoroutines is what a slot whose status a fault flips may
	// add to the operator's goroutines for a moment: client-go keeps one per
	// API request in flight on its HTTP/2 connection, and the event
	// broadcaster one per event it is writing, so a status patch and an
	// event hold about 3 until kube-apiserver answers. A fault that flips
	// every slot at once makes that a burst (seen in CI: 24 slots, 42 above
	// the baseline), not a pile-up; expectSettled catches what stays.
	statusWriteGoroutines = 3
	// settleBound is how soon after such a burst the goroutines must be
	// back near the baseline, the fault still lasting.
	settleBound = 10 * time.Second
)

// peaks are the highest values seen while a fault lasted.
type peaks struct {
	Sessions, ProxyClients, Goroutines int
	// stacks are the operator's goroutines when their count peaked.
	stacks string
}

func (p peaks) String() string {
	return fmt.Sprintf("role sessions %d, proxy clients %d, operator goroutines %d", p.Sessions, p.ProxyClients, p.Goroutines)
}

// sampler records peaks every 250 ms until stopped.
type sampler struct {
	s    *scenario
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	max  peaks
}

func startSampler(s *scenario) *sampler {
	sm := &sampler{s: s, stop: make(chan struct{}), done: make(chan struct{})}
	go sm.run()
	return sm
}

func (sm *sampler) run() {
	defer close(sm.done)
	for {
		sm.sample()
		select {
		case <-sm.stop:
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (sm *sampler) sample() {
	conns, _ := roleConnections(sm.s.pg, sm.s.role)
	g, _ := goroutines()
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.max.Sessions = max(sm.max.Sessions, total(conns))
	sm.max.ProxyClients = max(sm.max.ProxyClients, proxy.Clients())
	if g > sm.max.Goroutines {
		sm.max.Goroutines = g
		sm.max.stacks = goroutineStacks(metricsURL)
	}
}

// finish stops sampling and returns the peaks.
func (sm *sampler) finish() peaks {
	close(sm.stop)
	<-sm.done
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.max
}

// expectNoPileUp checks the peaks of a fault against the bounds and the
// scenario's goroutine baseline, with room for the status writes of the
// slots the fault changes at once (changed).
func expectNoPileUp(what string, p peaks, baseline, changed int) {
	GinkgoHelper()
	expectPeaksWithin(what, p, baseline+2*goroutineMargin+statusWriteGoroutines*changed,
		fmt.Sprintf("operator goroutines piled up (beyond %d per slot whose status changed)", statusWriteGoroutines))
}

// expectSettled checks, while the fault still lasts, that the operator's
// goroutines come back near the baseline once the burst of status writes
// the fault caused is over. A goroutine left behind by each timed-out call
// would keep the count up for as long as the fault lasts.
func expectSettled(what string, baseline int) {
	GinkgoHelper()
	bound := baseline + 2*goroutineMargin
	Eventually(goroutines).WithTimeout(settleBound).WithPolling(250*time.Millisecond).
		Should(BeNumerically("<=", bound), "%s: operator goroutines stay up while the fault lasts", what)
	n, _ := goroutines()
	report(what+": operator goroutines once settled (baseline)", fmt.Sprintf("%d (%d)", n, baseline))
}

// expectPeaksWithin checks the peaks against the session and connection
// bounds and the given goroutine bound, attaching the goroutines' stacks at
// their peak when that bound is passed.
func expectPeaksWithin(what string, p peaks, goroutineBound int, msg string) {
	GinkgoHelper()
	report(what+": peaks", p)
	if p.Goroutines > goroutineBound {
		AddReportEntry(what+": operator goroutines at their peak", p.stacks)
	}
	Expect(p.Sessions).To(BeNumerically("<=", peakSessions), "sessions of the operator's role piled up")
	Expect(p.ProxyClients).To(BeNumerically("<=", peakProxyClients), "connections through the proxy piled up")
	Expect(p.Goroutines).To(BeNumerically("<=", goroutineBound), msg)
}
