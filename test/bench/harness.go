package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// harness is kube-apiserver (envtest) plus the operator's controllers in
// this process, with default settings.
type harness struct {
	env    *envtest.Environment
	c      client.Client
	cancel context.CancelFunc
	seq    int
}

const (
	role     = "slotkeeper"
	password = "bench"
)

func startHarness(ctx context.Context, root string) (*harness, error) {
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		env.BinaryAssetsDirectory = filepath.Join(root, "bin", "envtest-v1.36.3")
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = api.AddToScheme(scheme)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return nil, err
	}
	conns := connections.New()
	mon := monitor.New(conns)
	if err := mgr.Add(mon); err != nil {
		return nil, err
	}
	if err := controllers.Setup(mgr, mon, conns, controllers.Options{}); err != nil {
		return nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	go func() { _ = mgr.Start(mctx) }()
	return &harness{env: env, c: mgr.GetClient(), cancel: cancel}, nil
}

func (h *harness) stop() {
	h.cancel()
	_ = h.env.Stop()
}

// namespace creates a namespace with the credentials Secret and a server for
// the given members.
func (h *harness) namespace(ctx context.Context, poll time.Duration, snap *api.StandbySnapshotSpec, members ...*pgtest.Server) (string, error) {
	spec := api.PostgresServerSpec{StandbySnapshot: snap}
	if poll > 0 {
		spec.PollInterval = api.NewDuration(poll)
	}
	for _, m := range members {
		spec.Hosts = append(spec.Hosts, api.HostPort{Host: m.Host, Port: int32(m.Port)})
	}
	return h.namespaceFor(ctx, spec)
}

// namespaceFor creates a namespace with the credentials Secret and a
// server of the given spec (credentials and TLS filled in).
func (h *harness) namespaceFor(ctx context.Context, spec api.PostgresServerSpec) (string, error) {
	h.seq++
	ns := fmt.Sprintf("bench-%d", h.seq)
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pg"},
			StringData: map[string]string{"username": role, "password": password}},
	}
	spec.CredentialsSecretRef = api.LocalObjectReference{Name: "pg"}
	spec.TLS = &api.TLSSpec{Mode: api.TLSDisable}
	ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}, Spec: spec}
	for _, o := range append(objs, ps) {
		if err := h.c.Create(ctx, o); err != nil {
			return "", err
		}
	}
	return ns, nil
}

// readyOn counts Ready ReplicationSlots of a namespace held by host ("" =
// any).
func (h *harness) readyOn(ctx context.Context, ns, host string) (int, error) {
	var list api.ReplicationSlotList
	if err := h.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0, err
	}
	n := 0
	for i := range list.Items {
		st := list.Items[i].Status
		if meta.IsStatusConditionTrue(st.Conditions, api.ConditionReady) && (host == "" || st.Host == host) {
			n++
		}
	}
	return n, nil
}

// waitReady polls (every 10 ms) until want slots are Ready on host.
func (h *harness) waitReady(ctx context.Context, ns, host string, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if n, err := h.readyOn(ctx, ns, host); err == nil && n >= want {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("fewer than %d slots Ready on %q after %s", want, host, limit)
}

func startPair(ctx context.Context, major int, name string) (*pgtest.Server, *pgtest.Server, error) {
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: name,
		Settings: map[string]string{"max_replication_slots": "300", "max_wal_senders": "20"}})
	if err != nil {
		return nil, nil, err
	}
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return nil, nil, err
	}
	if err := p.CreateDatabase(ctx, "orders"); err != nil {
		return nil, nil, err
	}
	s, err := p.AddStandby(ctx, name+"_standby", nil)
	return p, s, err
}

func keyDB(ns string) client.ObjectKey { return keyOf(ns, "db") }

func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
