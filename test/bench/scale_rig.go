package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	th "github.com/slotkeeper/slotkeeper/test/harness"
)

// scaleRig is the scenario's world: PostgreSQL, kube-apiserver, the
// operator binary, a client, the namespace with the server, and the
// sampler of the operator's memory and connections.
type scaleRig struct {
	dir     string
	pg      *pgtest.Server
	kube    *th.Kube
	op      *th.Operator
	c       client.WithWatch
	cs      *kubernetes.Clientset // for kube-apiserver's /metrics
	samp    *sampler
	poll    time.Duration // the server's spec.pollInterval as defaulted
	metrics string        // the operator's metrics address
	observe string        // observeWatch or observeList
	pprof   string        // the operator's pprof address, "" when off
	floor   time.Duration // see apiFloor
	// failoverFloor: the same objects' failover writes (failoverWrites).
	failoverFloor time.Duration
	// failoverPatches: the same objects' failover status patches alone,
	// without the Event (failoverPatchOnly).
	failoverPatches time.Duration
	floorCPU        time.Duration // kube-apiserver's and etcd's, over the floor's writes
	floorHeld       time.Duration // see heldFloor
	opts            scaleOptions
	cleanups        []func()
}

const scaleNS = "scale"

func (r *scaleRig) close() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// startScaleRig starts everything; on error whatever started is stopped.
func startScaleRig(ctx context.Context, opts scaleOptions) (r *scaleRig, err error) {
	r = &scaleRig{observe: opts.observe, opts: opts}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	paths, err := th.DefaultPaths()
	if err != nil {
		return r, err
	}
	if r.dir, err = os.MkdirTemp("", "slotkeeper-bench-scale-"); err != nil {
		return r, err
	}
	r.cleanups = append(r.cleanups, func() { _ = os.RemoveAll(r.dir) })
	if opts.pin {
		if err := pinSelf(); err != nil {
			return r, err
		}
	}
	if err := r.startPostgres(ctx); err != nil {
		return r, fmt.Errorf("PostgreSQL: %w", err)
	}
	if err := r.startKube(paths); err != nil {
		return r, fmt.Errorf("kube-apiserver: %w", err)
	}
	if opts.pin {
		if err := pinControlPlane(); err != nil {
			return r, err
		}
	}
	if err := r.floorsThenPolicy(ctx, paths.Root); err != nil {
		return r, err
	}
	if err := r.startOperator(ctx, paths); err != nil {
		return r, fmt.Errorf("operator: %w", err)
	}
	return r, r.declareServer(ctx)
}

// startPostgres: room for 2,000 slots plus the 10 of the control, and
// pg_stat_statements to count the operator's statements.
func (r *scaleRig) startPostgres(ctx context.Context) error {
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: scaleMajor, Name: "scale",
		Settings: map[string]string{"max_replication_slots": "2100", "shared_preload_libraries": "pg_stat_statements"}})
	if err != nil {
		return err
	}
	r.pg = p
	r.cleanups = append(r.cleanups, p.Cleanup)
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return err
	}
	if err := p.CreateDatabase(ctx, "orders"); err != nil {
		return err
	}
	return p.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
}

func (r *scaleRig) startKube(paths th.Paths) error {
	k, err := th.StartKube(paths.Assets, paths.Root, r.dir)
	if err != nil {
		return err
	}
	r.kube = k
	r.cleanups = append(r.cleanups, func() { _ = k.Stop() })
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = api.AddToScheme(scheme)
	if r.c, err = client.NewWithWatch(k.Env.Config, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	r.cs, err = kubernetes.NewForConfig(k.Env.Config)
	return err
}

// floorsThenPolicy measures the API floors, then installs the finalizer
// policy unless the options leave it out: after the floors, whose objects
// make the writes of an operator that adds its finalizer itself.
func (r *scaleRig) floorsThenPolicy(ctx context.Context, root string) (err error) {
	if r.floor, r.failoverFloor, err = r.apiFloor(ctx, r.opts.slots); err != nil {
		return err
	}
	fmt.Printf("scale: API floor for %d slots: %s; of their failover: %s\n", r.opts.slots, ms(r.floor), ms(r.failoverFloor))
	if r.opts.noPolicy {
		return nil
	}
	return th.InstallFinalizerPolicy(ctx, r.kube.Env.Config, root, floorNS)
}

// managerBin is $SLOTKEEPER_MANAGER_BIN, or a fresh build when that is not
// set (make bench sets it to the fresh bin/manager).
func (r *scaleRig) managerBin(ctx context.Context, paths th.Paths) (string, error) {
	if os.Getenv("SLOTKEEPER_MANAGER_BIN") == "" {
		return th.BuildManager(ctx, paths.Root, r.dir)
	}
	if _, err := os.Stat(paths.Manager); err != nil {
		return "", fmt.Errorf("%w (make build writes it)", err)
	}
	return paths.Manager, nil
}

// startOperator runs $SLOTKEEPER_MANAGER_BIN, or builds the operator when
// that is not set (make bench sets it to the fresh bin/manager), with its
// metrics endpoint on a free local port, over plain HTTP (the rig scrapes
// without a Kubernetes token), and starts sampling it.
func (r *scaleRig) startOperator(ctx context.Context, paths th.Paths) error {
	bin, err := r.managerBin(ctx, paths)
	if err != nil {
		return err
	}
	if r.metrics, err = freeAddr(); err != nil {
		return err
	}
	args := []string{"--metrics-bind-address=" + r.metrics, "--metrics-secure=false"}
	if r.opts.profileDir != "" {
		if r.pprof, err = freeAddr(); err != nil {
			return err
		}
		args = append(args, "--pprof-bind-address="+r.pprof)
	}
	restore, err := setOperatorEnv(r.opts.operatorEnv)
	if err != nil {
		return err
	}
	op, err := th.StartOperator(bin, r.kube.Kubeconfig, filepath.Join(r.dir, "operator.log"), args...)
	restore()
	if err != nil {
		return err
	}
	r.op = op
	r.cleanups = append(r.cleanups, func() {
		if op.Stop(30 * time.Second) {
			fmt.Println("scale: the operator did not stop on SIGTERM within 30s and was killed")
		}
	})
	r.samp, err = startSampler(ctx, op.Pid(), r.pg)
	if err != nil {
		return err
	}
	r.cleanups = append(r.cleanups, r.samp.stop)
	return nil
}

// declareServer creates the namespace, the credentials and the server, and
// waits for it to be Ready.
func (r *scaleRig) declareServer(ctx context.Context) error {
	ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: scaleNS, Name: "db"},
		Spec: api.PostgresServerSpec{CredentialsSecretRef: api.LocalObjectReference{Name: "pg"},
			TLS:   &api.TLSSpec{Mode: api.TLSDisable},
			Hosts: []api.HostPort{{Host: r.pg.Host, Port: int32(r.pg.Port)}}}}
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scaleNS}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: scaleNS, Name: "pg"},
			StringData: map[string]string{"username": role, "password": password}},
		ps,
	} {
		if err := r.c.Create(ctx, o); err != nil {
			return err
		}
	}
	// The CRD's default fills it in; the poll count is derived from it.
	if ps.Spec.PollInterval == nil {
		return errors.New("spec.pollInterval was not defaulted")
	}
	r.poll = ps.Spec.PollInterval.Duration
	return waitFor(time.Minute, func() bool {
		var cur api.PostgresServer
		return r.c.Get(ctx, keyOf(scaleNS, "db"), &cur) == nil && isReady(cur.Status.Conditions)
	})
}
