// Command slotkeeper runs the slotkeeper operator: it keeps PostgreSQL
// replication slots declared as Kubernetes objects in place.
package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

type options struct {
	metricsAddr, probeAddr string
	metricsSecure          bool
	metricsCertDir         string
	pprofAddr              string
	leaderElect            bool
	leaderElectionNS       string
	leaderElectionID       string
	slotWorkers            int
	actionTimeout          time.Duration
	allowedNetworks        string
	deniedNetworks         string
	watchNamespaces        string
}

func parseFlags() (options, zap.Options) {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "address of the metrics endpoint; 0 disables it")
	flag.BoolVar(&o.metricsSecure, "metrics-secure", true,
		"serve metrics over HTTPS, only to callers whose Kubernetes token may GET /metrics; false serves plain HTTP to anyone")
	flag.StringVar(&o.metricsCertDir, "metrics-cert-dir", "",
		"directory holding tls.crt and tls.key for secure metrics, e.g. a mounted cert-manager Secret; empty uses a self-signed certificate")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address of the health probes; 0 disables them")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "", "address of Go's /debug/pprof endpoints, for profiling; empty (the default) or 0 disables them")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader, so only one replica acts")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "", "namespace of the leader election lease (default: the pod's)")
	flag.StringVar(&o.leaderElectionID, "leader-election-id", defaultLeaseName,
		"name of the leader election lease; operators sharing a namespace (shards with their own --watch-namespaces) each need their own")
	flag.IntVar(&o.slotWorkers, "slot-workers", 8, "ReplicationSlots reconciled at once")
	flag.DurationVar(&o.actionTimeout, "action-timeout", 30*time.Second, "bound of one SQL action (create, drop)")
	flag.StringVar(&o.allowedNetworks, "allowed-networks", "", "comma-separated CIDRs PostgreSQL and Patroni addresses must lie in (after DNS); empty allows every address not denied")
	flag.StringVar(&o.deniedNetworks, "denied-networks", strings.Join(postgres.DefaultDeniedNetworks, ","),
		"comma-separated CIDRs never connected to, checked first (default: link-local and cloud metadata addresses)")
	flag.StringVar(&o.watchNamespaces, "watch-namespaces", "",
		"comma-separated namespaces the operator watches, needing only Roles there; empty (the default) watches all")
	zo := zap.Options{}
	zo.BindFlags(flag.CommandLine)
	flag.Parse()
	return o, zo
}

func main() {
	o, zo := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	log := ctrl.Log.WithName("setup")
	if err := run(o); err != nil {
		log.Error(err, "operator stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	mopts, err := managerOptions(o)
	if err != nil {
		return err
	}
	cfg := ctrl.GetConfigOrDie()
	ctx := ctrl.SetupSignalHandler()
	if err := waitForCRDs(ctx, cfg); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting: a clean stop
		}
		return err
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return err
	}
	if err := wire(mgr, o); err != nil {
		return err
	}
	go exitIfStuck(ctx)
	return mgr.Start(ctx)
}

// managerOptions checks the flags that shape the manager (before anything
// connects, so a bad one stops the start with its own message) and builds
// the manager's options from them.
func managerOptions(o options) (ctrl.Options, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(api.AddToScheme(scheme))
	watched, err := watchedNamespaces(o.watchNamespaces)
	if err != nil {
		return ctrl.Options{}, err
	}
	lease, err := leaseName(o.leaderElectionID)
	if err != nil {
		return ctrl.Options{}, err
	}
	metrics, err := metricsServing(o)
	if err != nil {
		return ctrl.Options{}, err
	}
	return ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metrics,
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              lease,
		LeaderElectionNamespace:       o.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cache.Options{DefaultTransform: controllers.CacheTransform(), DefaultNamespaces: watched},
	}, nil
}

// shutdownGrace bounds a graceful stop. The manager can fail to return when
// a signal arrives while informers never synced; a Deployment must not sit in
// Terminating because of it.
const shutdownGrace = 30 * time.Second

func exitIfStuck(ctx context.Context) {
	<-ctx.Done()
	time.Sleep(shutdownGrace)
	ctrl.Log.WithName("setup").Info("shutdown did not finish in time; exiting", "grace", shutdownGrace.String())
	os.Exit(1)
}

// wire adds the monitor and the reconcilers, which share one connection
// registry: the monitor polls through it, the reconcilers act through it.
func wire(mgr ctrl.Manager, o options) error {
	conns := connections.New()
	mon := monitor.New(conns)
	if err := mgr.Add(mon); err != nil {
		return err
	}
	policy, err := postgres.NewHostPolicy(strings.Split(o.allowedNetworks, ","), strings.Split(o.deniedNetworks, ","))
	if err != nil {
		return err
	}
	if err := controllers.Setup(mgr, mon, conns, controllers.Options{
		SlotWorkers: o.slotWorkers, ActionTimeout: o.actionTimeout, HostPolicy: policy,
	}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("readyz", healthz.Ping)
}
