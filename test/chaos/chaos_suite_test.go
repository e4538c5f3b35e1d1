// Package chaos injects faults into a running slotkeeper and checks that
// nothing a user relies on breaks: the operator binary (killed with
// SIGKILL, run as two leader-electing replicas), a real kube-apiserver
// (envtest), real PostgreSQL 17 (crashed, its role's password rotated and
// its REPLICATION right revoked, failed over) and a TCP proxy in front of it
// that the suite slows down or black-holes.
//
// After every scenario the same invariants are checked (invariants_test.go):
// every declared slot exists once with its type, foreign canary slots
// survive, statuses tell the truth, connections and goroutines come back
// down, and any recreation of a logical slot is reported as a data gap.
//
// `go test ./test/chaos/` runs the short form (small counts, a few minutes
// on 2 cores); CHAOS=full runs the full counts and the scenarios that only
// the full form declares (leader election, failover during mass creation).
package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// full is known when the spec tree is built, so the full-only scenarios are
// only declared in the full form instead of being skipped in the short one.
var full = os.Getenv("CHAOS") == "full"

// Counts are the sizes of the scenarios, by form.
type Counts struct {
	KillSlots, KillRounds int // scenario 1
	CopySlots, CopyRounds int // scenario 1b
	CrashSlots, Crashes   int // scenario 2
	SlowSlots             int // scenario 3
	BlackholeSlots        int // scenario 4
	ConflictPairs         int // scenario 5
	LeaderSlots           int // scenario 7 (full only)
	FailoverSlots         int // scenario 8 (full only)
	// control-plane restarts: slots declared across outages, in rounds
	ControlPlaneSlots, ControlPlaneRounds int
}

var counts = func() Counts {
	if full {
		return Counts{KillSlots: 300, KillRounds: 10, CopySlots: 60, CopyRounds: 4, CrashSlots: 100, Crashes: 3, SlowSlots: 20,
			BlackholeSlots: 20, ConflictPairs: 10, LeaderSlots: 100, FailoverSlots: 100,
			ControlPlaneSlots: 120, ControlPlaneRounds: 2}
	}
	return Counts{KillSlots: 60, KillRounds: 3, CopySlots: 24, CopyRounds: 3, CrashSlots: 30, Crashes: 1, SlowSlots: 6,
		BlackholeSlots: 12, ConflictPairs: 10, ControlPlaneSlots: 30, ControlPlaneRounds: 1}
}()

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("needs kube-apiserver, PostgreSQL and the operator binary; run without -short")
	}
	RegisterFailHandler(Fail)
	form := "short"
	if full {
		form = "full (CHAOS=full)"
	}
	RunSpecs(t, "chaos, "+form)
}

var _ = BeforeSuite(func(ctx SpecContext) {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(time.Minute)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	SetDefaultConsistentlyDuration(2 * time.Second)
	startEnv(ctx)
	suiteBaseline = steadyGoroutines()
}, NodeTimeout(5*time.Minute))

// suiteBaseline is the operator's goroutine count before any scenario, with
// no PostgresServer at all.
var suiteBaseline int

// Every scenario leaves a running operator behind; one that died fails the
// scenario that was running, not a later one.
var _ = AfterEach(func() {
	if CurrentSpecReport().Failed() {
		reportFailureContext()
	}
	Expect(operator.Exited()).To(BeFalse(), "the operator exited: %v", operator.Err())
})

var _ = AfterSuite(func() {
	if operator == nil {
		return
	}
	expectNoPanics()
	keepLogs()
	// Every scenario deleted its objects: what the operator still runs is
	// what it keeps for servers that no longer exist.
	if !operator.Exited() {
		n, err := goroutines()
		Expect(err).NotTo(HaveOccurred())
		report("operator goroutines after every scenario, with no server left (before any)", fmt.Sprintf("%d (%d)", n, suiteBaseline))
	}
	killed := operator.Stop(operatorStopGrace)
	Expect(killed).To(BeFalse(), "the operator needed SIGKILL to stop after SIGTERM")
})

// keepLogs copies the operator logs to $CHAOS_LOG_DIR, when set, before the
// work directory is removed.
func keepLogs() {
	dir := os.Getenv("CHAOS_LOG_DIR")
	if dir == "" {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(workDir, "*.log"))
	for _, l := range logs {
		if data, err := os.ReadFile(l); err == nil {
			_ = os.WriteFile(filepath.Join(dir, filepath.Base(l)), data, 0o644)
		}
	}
}
