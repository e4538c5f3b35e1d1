package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// The suite runs the real reconcilers against a real kube-apiserver (envtest)
// and a real PostgreSQL primary with a streaming standby.
const (
	opRole     = "slotkeeper"
	opPassword = "slotkeeper-test"
)

var (
	k8s     client.Client
	env     *envtest.Environment
	cancel  context.CancelFunc
	primary *pgtest.Server
	standby *pgtest.Server
	// major is known when the spec tree is built, so version-specific specs
	// are only declared where they apply instead of being skipped.
	major = suiteMajor()
)

func TestControllers(t *testing.T) {
	if testing.Short() {
		t.Skip("needs kube-apiserver and PostgreSQL; run without -short (make test)")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "controllers")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	startPostgres()
	startAPIServer()
	startOperator()
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
	pgtest.CleanupAll()
})

// suiteMajor is the PostgreSQL version under test: CONTROLLERS_PG_MAJOR, or
// 17. internal/postgres covers every version; this suite covers behaviour.
func suiteMajor() int {
	if v := os.Getenv("CONTROLLERS_PG_MAJOR"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic("CONTROLLERS_PG_MAJOR: " + err.Error())
		}
		return n
	}
	return 17
}

func startPostgres() {
	ctx := context.Background()
	var err error
	// Every spec's PostgresServer keeps polling the shared pair until the
	// suite ends (namespaces are never deleted in envtest), each holding a
	// connection per member: room for all of them, and the standby must
	// allow at least as many as its primary.
	conns := map[string]string{"max_connections": "300"}
	primary, err = pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "ctl-primary", Settings: conns})
	Expect(err).NotTo(HaveOccurred())
	Expect(primary.CreateRole(ctx, opRole, opPassword, true)).To(Succeed())
	Expect(primary.CreateDatabase(ctx, "orders")).To(Succeed())
	standby, err = primary.AddStandby(ctx, "ctl_standby", conns)
	Expect(err).NotTo(HaveOccurred())
}

func startAPIServer() {
	root, err := pgtest.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		env.BinaryAssetsDirectory = filepath.Join(root, "bin", "envtest-v1.36.3")
	}
	cfg, err := env.Start()
	Expect(err).NotTo(HaveOccurred(), "envtest needs kube-apiserver and etcd: run make tools")
	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(api.AddToScheme(scheme)).To(Succeed())
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
}

func startOperator() {
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:  k8s.Scheme(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   cache.Options{DefaultTransform: controllers.CacheTransform()},
	})
	Expect(err).NotTo(HaveOccurred())
	conns := connections.New()
	mon := monitor.New(conns)
	Expect(mgr.Add(mon)).To(Succeed())
	Expect(controllers.Setup(mgr, mon, conns, controllers.Options{SlotWorkers: 4, ActionTimeout: 10 * time.Second})).To(Succeed())
	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
}

// newNamespace gives each spec its own namespace, so objects never collide.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	Expect(k8s.Create(context.Background(), ns)).To(Succeed())
	return ns.Name
}

func fmtPort(p int) string { return fmt.Sprint(p) }
