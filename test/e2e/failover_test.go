package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// failoverMajors: 15 has no failover slots at all, 17 has them (these slots
// do not ask for them), so on both every slot must be recreated.
var failoverMajors = []int{15, 17}

// failoverSetup is one failover story: its own PostgreSQL pair and
// namespace, so promoting a standby never changes the samples' servers and
// `rslot --all` waits see only these two slots.
type failoverSetup struct {
	pair *harness.Postgres
	ns   string
	// lastConfirmed is the logical slot's status.confirmedFlushLSN just
	// before the failover: where its data gap must start.
	lastConfirmed string
}

// failover is how the primary goes away: Crash (immediate stop) or Stop
// (clean, a planned switchover).
type failover func(*pgtest.Server) error

var _ = Describe("failover", func() {
	for _, major := range failoverMajors {
		Context(fmt.Sprintf("on PostgreSQL %d", major), func() {
			DescribeTable("puts both slots back on the promoted standby",
				func(name string, stop failover, restartOperator bool) {
					fs := newFailoverSetup(major, name)
					if restartOperator {
						failoverWithOperatorDown(fs, stop)
					} else {
						failoverWithOperatorUp(fs, stop)
					}
					expectServerFailedOver(fs)
					expectSlotsRecovered(fs)
					expectFailoverEvents(fs)
					expectSlotsOnPromoted(fs)
					if restartOperator {
						expectNothingTwice(fs)
					}
				},
				Entry("after a crash of the primary", "crash", failover((*pgtest.Server).Crash), false),
				Entry("after a planned switchover", "switchover", failover((*pgtest.Server).Stop), false),
				Entry("when the operator was down during the failover", "restart", failover((*pgtest.Server).Crash), true),
			)
		})
	}
})

// newFailoverSetup starts a pair of the given major, declares a logical and
// a physical slot on it in a namespace of its own and waits until both are
// Ready, then notes the logical slot's confirmed position.
func newFailoverSetup(major int, name string) *failoverSetup {
	GinkgoHelper()
	pair, err := harness.StartPostgres(context.Background(), major)
	Expect(err).NotTo(HaveOccurred())
	fs := &failoverSetup{pair: pair, ns: fmt.Sprintf("e2e-failover-pg%d-%s", major, name)}
	// Registered first, so it runs last: the objects go (and drop their
	// slots) while PostgreSQL still answers.
	DeferCleanup(pair.Cleanup)
	kubectlIn(failoverManifest(fs.ns, pair), "apply", "-f", "-")
	DeferCleanup(deleteFailoverObjects, fs.ns)
	kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", fs.ns, "--timeout=60s")
	fs.lastConfirmed = kubectl("get", "rslot/cdc", "-n", fs.ns, "-o", "jsonpath={.status.confirmedFlushLSN}")
	Expect(fs.lastConfirmed).To(MatchRegexp(`^[0-9A-F]+/[0-9A-F]+$`), "a Ready logical slot shows its confirmed position")
	return fs
}

// failoverWithOperatorUp takes the primary away and promotes the standby
// while the operator watches, and times the recovery from the promotion.
func failoverWithOperatorUp(fs *failoverSetup, stop failover) {
	GinkgoHelper()
	Expect(stop(fs.pair.Primary)).To(Succeed())
	promoted := time.Now()
	Expect(fs.pair.Standby.Promote(context.Background())).To(Succeed())
	waitRecovered(fs)
	AddReportEntry("promote request to both slots Ready on the promoted standby",
		time.Since(promoted).Round(time.Millisecond).String())
}

// failoverWithOperatorDown stops the operator (SIGTERM) first, so the
// failover happens while nobody watches, and starts a new process after:
// everything it needs must come from the API server and PostgreSQL, not
// from the memory of the process that saw the slots.
func failoverWithOperatorDown(fs *failoverSetup, stop failover) {
	GinkgoHelper()
	Expect(operator.Stop(operatorStopGrace)).To(BeFalse(), "the operator needed SIGKILL to stop")
	// Whatever fails below, later specs need an operator.
	DeferCleanup(restartOperatorIfDown)
	Expect(stop(fs.pair.Primary)).To(Succeed())
	Expect(fs.pair.Standby.Promote(context.Background())).To(Succeed())
	restartOperatorIfDown()
	started := time.Now()
	waitRecovered(fs)
	AddReportEntry("operator start to both slots Ready on the promoted standby",
		time.Since(started).Round(time.Millisecond).String())
}

func restartOperatorIfDown() {
	GinkgoHelper()
	if !operator.Exited() {
		return
	}
	again, err := operator.StartAgain()
	Expect(err).NotTo(HaveOccurred())
	operator = again
}

// waitRecovered waits as a user would. Ready alone is not enough: right
// after the failover the slots still carry their old Ready=True, so first
// wait until they name the promoted standby as their host.
func waitRecovered(fs *failoverSetup) {
	GinkgoHelper()
	host := fs.pair.Standby.Addr()
	kubectl("wait", "--for=jsonpath={.status.host}="+host, "rslot", "--all", "-n", fs.ns, "--timeout=60s")
	kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", fs.ns, "--timeout=60s")
}

// deleteFailoverObjects deletes the slots, then the server: envtest has no
// namespace controller, and a monitor left polling a stopped server could
// later meet another test's server on the same port.
func deleteFailoverObjects(ns string) {
	GinkgoHelper()
	kubectl("delete", "rslot", "--all", "-n", ns, "--wait", "--timeout=60s")
	kubectl("delete", "pgserver", "--all", "-n", ns, "--wait", "--timeout=60s")
}
