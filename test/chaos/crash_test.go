package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Scenario 2: PostgreSQL crashes (immediate stop: no checkpoint, every
// session cut) and restarts while the operator is creating slots.
var _ = Describe("PostgreSQL crash and restart mid-reconcile", Label("crash"), func() {
	It("puts every slot in place once, with no recreation", func() {
		start := time.Now()
		s := newScenario("crash")
		per := counts.CrashSlots / counts.Crashes
		var crashes []string
		for round := range counts.Crashes {
			_, declared, moment := s.midCreation(fmt.Sprintf("r%d", round), per)
			down := time.Duration(rand.IntN(2000)) * time.Millisecond
			crashAndStart(down)
			crashes = append(crashes, fmt.Sprintf("round %d: crashed with %s, down %v", round, moment, down))
			Eventually(declared).WithTimeout(time.Minute).Should(BeClosed())
		}
		report("crashes", strings.Join(crashes, "; "))
		s.expectInvariants(nil, noSlotLost)
		report("scenario 2 took", time.Since(start).Round(time.Second))
	})
})

// crashAndStart stops the shared primary in immediate mode, keeps it down
// for down, and starts it again on the same port (the proxy still points
// there).
func crashAndStart(down time.Duration) {
	GinkgoHelper()
	Expect(primary.Crash()).To(Succeed())
	time.Sleep(down)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	Expect(primary.Start(ctx)).To(Succeed())
}
