package chaos

import (
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	// leaseDuration, retryPeriod: controller-runtime's defaults, which
	// main.go does not change (pkg/manager/internal.go).
	leaseDuration = 15 * time.Second
	retryPeriod   = 2 * time.Second
	// takeoverBound: a killed leader does not release its lease, so the
	// other replica acquires it once the lease has expired, at its next
	// (jittered) retry; the rest is room for a busy machine.
	takeoverBound = leaseDuration + 2*retryPeriod + 15*time.Second
)

// acquired is client-go's log line when a replica becomes leader.
var acquired = regexp.MustCompile(`(?i)successfully acquired lease`)

// fullOnly declares specs only in the full form: a scenario the short form
// does not run must not show up as passed (or skipped) there.
func fullOnly(declare func()) bool {
	if full {
		declare()
	}
	return full
}

// Scenario 7 (full form): two leader-electing replicas; the leader is
// SIGKILLed during mass creation.
var _ = fullOnly(func() {
	Describe("two operator replicas with leader election", Label("leader"), func() {
		It("hands over within the lease and acts once per slot", func() {
			start := time.Now()
			s := newScenario("leader")
			replicas := replaceOperatorWithReplicas(s.ns)
			leader, follower := waitLeader(replicas)
			operator, metricsURL = leader.op, leader.metrics

			_, declared, moment := s.midCreation("a", counts.LeaderSlots)
			kill9(leader.op)
			killed := time.Now()
			operator, metricsURL = follower.op, follower.metrics
			Eventually(func() []string { return linesMatching(operatorLog(follower.op), acquired) }).
				WithTimeout(takeoverBound).WithPolling(100 * time.Millisecond).ShouldNot(BeEmpty())
			report("leader: killed with "+moment+"; the other replica took over after", time.Since(killed).Round(100*time.Millisecond))
			Eventually(declared).WithTimeout(time.Minute).Should(BeClosed())

			s.expectInvariants(nil, noSlotLost)
			for _, r := range replicas {
				Expect(linesMatching(operatorLog(r.op), duplicateObject)).To(BeEmpty(),
					"a replica met a slot the other had created (%s)", r.op.LogPath)
			}
			// A slot the killed leader created before writing status is
			// adopted by the new one: fine, as long as nobody creates twice.
			Expect(eventsPerObject(s.ns, "Created")).To(HaveEach(BeNumerically("<=", 1)), "a slot created twice")
			report("leader: objects that adopted the slot their killed leader had created",
				countAbove(eventsPerObject(s.ns, "Adopted"), 0))
			report("scenario 7 took", time.Since(start).Round(time.Second))
		})
	})
})

// replica is one operator process of a leader-electing pair.
type replica struct {
	op      *harness.Operator
	metrics string
}

// replaceOperatorWithReplicas stops the suite's operator and starts two
// leader-electing replicas in its place; the clean-up stops them and brings
// the suite's operator back.
func replaceOperatorWithReplicas(leaseNS string) []replica {
	GinkgoHelper()
	Expect(operator.Stop(operatorStopGrace)).To(BeFalse(), "the operator needed SIGKILL to stop")
	single, singleURL := operator, metricsURL
	var replicas []replica
	DeferCleanup(func() {
		for _, r := range replicas {
			r.op.Stop(operatorStopGrace)
		}
		operator, metricsURL = restart(single), singleURL
	})
	for _, name := range []string{"a", "b"} {
		op, url, err := startOperatorProcess(filepath.Join(workDir, "replica-"+name+".log"),
			"--leader-elect", "--leader-election-namespace="+leaseNS)
		Expect(err).NotTo(HaveOccurred())
		replicas = append(replicas, replica{op: op, metrics: url})
	}
	return replicas
}

// waitLeader waits until one replica has acquired the lease.
func waitLeader(replicas []replica) (leader, follower replica) {
	GinkgoHelper()
	var idx int
	Eventually(func() int {
		for i, r := range replicas {
			if len(linesMatching(operatorLog(r.op), acquired)) > 0 {
				idx = i
				return 1
			}
		}
		return 0
	}).WithTimeout(takeoverBound).Should(Equal(1), "no replica became leader")
	return replicas[idx], replicas[1-idx]
}

// eventsPerObject counts, per ReplicationSlot of ns, the Events with one of
// the reasons.
func eventsPerObject(ns string, reasons ...string) map[string]int {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	var list eventsv1.EventList
	Expect(k8s.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	out := map[string]int{}
	for _, e := range list.Items {
		if e.Regarding.Kind != "ReplicationSlot" || !strings.Contains(" "+strings.Join(reasons, " ")+" ", " "+e.Reason+" ") {
			continue
		}
		n := 1
		if e.Series != nil {
			n = int(e.Series.Count)
		}
		out[e.Regarding.Name] += n
	}
	items, err := slotsIn(ns)
	Expect(err).NotTo(HaveOccurred())
	for _, rs := range items {
		out[rs.Name] += 0
	}
	return out
}

func countAbove(m map[string]int, n int) int {
	c := 0
	for _, v := range m {
		if v > n {
			c++
		}
	}
	return c
}
