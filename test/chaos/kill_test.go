package chaos

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Scenario 1: the operator is SIGKILLed at random moments while it creates
// a mix of logical and physical slots, and started again each time.
var _ = Describe("kill -9 of the operator during mass creation", Label("kill"), func() {
	It("creates every slot exactly once and loses none", func() {
		start := time.Now()
		s := newScenario("kill")
		per := counts.KillSlots / counts.KillRounds
		var kills []string
		for round := range counts.KillRounds {
			_, declared, moment := s.midCreation(fmt.Sprintf("r%d", round), per)
			killAndRestart()
			kills = append(kills, fmt.Sprintf("round %d: killed with %s", round, moment))
			Eventually(declared).WithTimeout(time.Minute).Should(BeClosed())
		}
		report("kills", strings.Join(kills, "; "))
		s.expectInvariants(nil, noSlotLost)
		report("duplicate-object lines in the operator log (informational)",
			len(linesMatching(operatorLog(operator), duplicateObject)))
		report("scenario 1 took", time.Since(start).Round(time.Second))
	})
})
