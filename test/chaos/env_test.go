package chaos

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	pgMajor = 17
	// operatorStopGrace is what the operator gets between SIGTERM and SIGKILL.
	operatorStopGrace = 10 * time.Second
	// pollInterval is every PostgresServer's spec.pollInterval.
	pollInterval = 2 * time.Second
	// database holds the logical slots.
	database = harness.Database
)

// primarySettings leave room for the full form's slots and the canaries.
var primarySettings = map[string]string{"max_replication_slots": "500", "max_connections": "200"}

var (
	paths   harness.Paths
	workDir string
	kube    *harness.Kube
	kctl    harness.Kubectl
	k8s     client.Client
	// primary is the shared PostgreSQL; the PostgresServers reach it through
	// proxy, never directly.
	primary *pgtest.Server
	proxy   *pgtest.Proxy
	// operator is the running operator process; metricsURL its /metrics.
	operator   *harness.Operator
	metricsURL string
	// pprofOf maps an operator's /metrics URL to its /debug/pprof base, so
	// a goroutine pile-up can be shown stack by stack.
	pprofOf = map[string]string{}
)

func startEnv(ctx context.Context) {
	var err error
	paths, err = harness.DefaultPaths()
	Expect(err).NotTo(HaveOccurred())
	workDir, err = os.MkdirTemp("", "slotkeeper-chaos-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, workDir)
	if os.Getenv("SLOTKEEPER_MANAGER_BIN") == "" {
		By("building the operator (SLOTKEEPER_MANAGER_BIN is not set)")
		paths.Manager, err = harness.BuildManager(ctx, paths.Root, workDir)
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(paths.Check()).To(Succeed(), "run make tools build")
	startKube()
	startPrimary(ctx)
	startOperator()
}

func startKube() {
	By("starting kube-apiserver and etcd")
	var err error
	kube, err = harness.StartKube(paths.Assets, paths.Root, workDir)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(kube.Stop)
	kctl = harness.Kubectl{Bin: paths.Kubectl, Kubeconfig: kube.Kubeconfig}
	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(api.AddToScheme(scheme)).To(Succeed())
	k8s, err = client.New(kube.Env.Config, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
}

func startPrimary(ctx context.Context) {
	By("starting PostgreSQL 17 behind a proxy")
	DeferCleanup(pgtest.CleanupAll)
	primary = startServer(ctx, "chaos-primary")
	var err error
	proxy, err = pgtest.StartProxy(primary.Addr())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(proxy.Close)
}

// startServer starts a primary with the database the slots use.
func startServer(ctx context.Context, name string) *pgtest.Server {
	GinkgoHelper()
	s, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: pgMajor, Name: name, Settings: primarySettings})
	Expect(err).NotTo(HaveOccurred())
	Expect(s.CreateDatabase(ctx, database)).To(Succeed())
	return s
}

func startOperator() {
	By("starting the operator binary " + paths.Manager)
	var err error
	operator, metricsURL, err = startOperatorProcess(filepath.Join(workDir, "operator.log"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { operator.Stop(operatorStopGrace) })
	Eventually(goroutines).Should(BeNumerically(">", 0), "the operator serves /metrics")
	// Both controllers' workers run once their caches have synced.
	Eventually(func() []string { return linesMatching(operatorLog(operator), startingWorkers) }).Should(HaveLen(2))
}

var startingWorkers = regexp.MustCompile(`"Starting workers"`)

// startOperatorProcess starts an operator with metrics on a free loopback
// port, over plain HTTP (the specs scrape without a Kubernetes identity);
// extra flags come last.
func startOperatorProcess(logPath string, extra ...string) (*harness.Operator, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	pport, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	paddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(pport))
	args := append([]string{"--metrics-bind-address=" + addr, "--metrics-secure=false", "--pprof-bind-address=" + paddr}, extra...)
	op, err := harness.StartOperator(paths.Manager, kube.Kubeconfig, logPath, args...)
	url := "http://" + addr + "/metrics"
	pprofOf[url] = "http://" + paddr + "/debug/pprof"
	return op, url, err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// reportFailureContext attaches what a reader of a failure needs.
func reportFailureContext() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	objects, _, _ := kctl.Run(ctx, "", "get", "pgserver,rslot", "-A", "-o", "wide")
	AddReportEntry("kubectl get pgserver,rslot -A -o wide", objects)
	events, _, _ := kctl.Run(ctx, "", "get", "events", "-A", "--sort-by=.eventTime", "-o",
		"custom-columns=TIME:.eventTime,NAMESPACE:.metadata.namespace,OBJECT:.involvedObject.name,TYPE:.type,REASON:.reason,MESSAGE:.message")
	AddReportEntry("kubectl get events -A (last 60)", lastLines(events, 60))
	AddReportEntry("operator log tail", strings.Join(operator.Tail(120), "\n"))
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctxFor is a background context bounded by d, for one call.
func ctxFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// report adds a timing or figure to the spec's report and the log.
func report(name string, value any) {
	AddReportEntry(name, fmt.Sprint(value))
	GinkgoWriter.Printf("%s: %v\n", name, value)
}
