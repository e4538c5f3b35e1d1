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
	// peakProxyClients bounds the connections the proxy holds open for the
	// operator: the same, plus a few it gave up on but the proxy has not
	// noticed yet (a black hole does not read their FIN).
	peakProxyClients = 12
)

// peaks are the highest values seen while a fault lasted.
type peaks struct {
	Sessions, ProxyClients, Goroutines int
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
	sm.max.Goroutines = max(sm.max.Goroutines, g)
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
// scenario's goroutine baseline.
func expectNoPileUp(what string, p peaks, baseline int) {
	GinkgoHelper()
	report(what+": peaks", p)
	Expect(p.Sessions).To(BeNumerically("<=", peakSessions), "sessions of the operator's role piled up")
	Expect(p.ProxyClients).To(BeNumerically("<=", peakProxyClients), "connections through the proxy piled up")
	Expect(p.Goroutines).To(BeNumerically("<=", baseline+2*goroutineMargin), "operator goroutines piled up")
}
