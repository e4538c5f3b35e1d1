// Package e2e checks slotkeeper as a user meets it: the operator binary, a
// real kube-apiserver (envtest) and a real PostgreSQL 17 primary with a
// streaming standby, driven with kubectl only. The setup is test/harness,
// the same as `make demo`'s. The failover specs start pairs of their own
// (PostgreSQL 15 and 17), since a promotion cannot be undone.
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	pgMajor = 17
	// operatorStopGrace is what the operator gets between SIGTERM and SIGKILL.
	operatorStopGrace = 10 * time.Second
	// waitTimeout bounds every wait: the samples poll every 5 s, so anything
	// the operator does shows within a few polls or not at all.
	waitTimeout = 60 * time.Second
)

var (
	paths    harness.Paths
	kube     *harness.Kube
	kctl     harness.Kubectl
	pg       *harness.Postgres
	operator *harness.Operator
)

func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("needs kube-apiserver, PostgreSQL and the operator binary; run without -short (make test-e2e)")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "e2e")
}

// Every start registers its undo with DeferCleanup, which runs after
// AfterSuite in reverse order (operator, PostgreSQL, API server, files) even
// when a start or an AfterSuite assertion failed.
var _ = BeforeSuite(func(ctx SpecContext) {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(waitTimeout)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)

	var err error
	paths, err = harness.DefaultPaths()
	Expect(err).NotTo(HaveOccurred())
	dir, err := os.MkdirTemp("", "slotkeeper-e2e-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	if os.Getenv("SLOTKEEPER_MANAGER_BIN") == "" {
		By("building the operator (SLOTKEEPER_MANAGER_BIN is not set)")
		paths.Manager, err = harness.BuildManager(ctx, paths.Root, dir)
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(paths.Check()).To(Succeed(), "run make tools build, or make test-e2e")

	startKube(ctx, dir)
	startPostgres(ctx)
	startOperator(dir)
}, NodeTimeout(5*time.Minute))

func startKube(ctx context.Context, dir string) {
	By("starting kube-apiserver and etcd")
	var err error
	kube, err = harness.StartKube(paths.Assets, paths.Root, dir)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(kube.Stop)
	By("installing the finalizer policy of config/admission")
	Expect(harness.InstallFinalizerPolicy(ctx, kube.Env.Config, paths.Root, "default")).To(Succeed())
	kctl = harness.Kubectl{Bin: paths.Kubectl, Kubeconfig: kube.Kubeconfig}
}

func startPostgres(ctx context.Context) {
	By("starting PostgreSQL primary and standby")
	DeferCleanup(pgtest.CleanupAll)
	var err error
	pg, err = harness.StartPostgres(ctx, pgMajor)
	Expect(err).NotTo(HaveOccurred())
}

func startOperator(dir string) {
	By("starting the operator binary " + paths.Manager)
	var err error
	operator, err = harness.StartOperator(paths.Manager, kube.Kubeconfig, filepath.Join(dir, "operator.log"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { operator.Stop(operatorStopGrace) })
}

// An operator that crashed fails the spec that was running, not a later one.
var _ = AfterEach(func() {
	if CurrentSpecReport().Failed() {
		reportFailureContext()
	}
	Expect(operator.Exited()).To(BeFalse(), "the operator exited: %v", operator.Err())
})

// reportFailureContext attaches what a reader of a failure needs: the
// objects as kubectl shows them and the end of the operator log.
func reportFailureContext() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	objects, _, _ := kctl.Run(ctx, "", "get", "pgserver,rslot", "-A", "-o", "wide")
	AddReportEntry("kubectl get pgserver,rslot -A -o wide", objects)
	events, _, _ := kctl.Run(ctx, "", "get", "events", "-A", "--sort-by=.eventTime", "-o",
		"custom-columns=TIME:.eventTime,NAMESPACE:.metadata.namespace,OBJECT:.involvedObject.name,TYPE:.type,REASON:.reason,MESSAGE:.message")
	AddReportEntry("kubectl get events -A", events)
	AddReportEntry("operator log tail", strings.Join(operator.Tail(80), "\n"))
}

// The operator must have survived everything and must stop on SIGTERM
// without a panic; a forced kill is reported, since it means the shutdown
// hang (a controller-runtime bug the operator guards against) is back.
var _ = AfterSuite(func() {
	if operator == nil {
		return
	}
	Expect(operator.Exited()).To(BeFalse(), "the operator exited during the suite: %v", operator.Err())
	started := time.Now()
	killed := operator.Stop(operatorStopGrace)
	AddReportEntry("operator shutdown", map[string]any{
		"took": time.Since(started).Round(time.Millisecond).String(), "killed": killed, "exit": errString(operator.Err()),
	})
	log, err := operator.Log()
	Expect(err).NotTo(HaveOccurred())
	Expect(linesMatching(log, panicLine)).To(BeEmpty(), "the operator log mentions a panic")
})

// panicLine catches Go's "panic:" and controller-runtime's "Observed a panic".
var panicLine = regexp.MustCompile(`(?i)panic`)

func linesMatching(text string, re *regexp.Regexp) []string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if re.MatchString(line) {
			lines = append(lines, line)
		}
	}
	return lines
}

func errString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
