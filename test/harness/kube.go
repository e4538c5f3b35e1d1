package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Kube is a running kube-apiserver and etcd with the slotkeeper CRDs, and a
// kubeconfig file for it.
type Kube struct {
	Env        *envtest.Environment
	Kubeconfig string // path of the admin kubeconfig

	// state holds etcd's data and the API server's certificates. envtest
	// would put both in temporary directories that its Stop removes, so a
	// restarted component would come back empty, with a new serving CA
	// that no kubeconfig trusts; here they outlive a restart, and Stop
	// removes them.
	state string
	// logs are etcd's and kube-apiserver's output, closed by Stop.
	logs []*os.File
}

// readyTimeout bounds how long a restarted component may take until the
// API server reports ready again.
const readyTimeout = time.Minute

// StartKube starts envtest with the CRDs of root/config/crd/bases and writes
// a kubeconfig for a cluster-admin user into dir, which kubectl and the
// operator both use, and etcd's and kube-apiserver's output (etcd.log,
// kube-apiserver.log). On error nothing is left running.
func StartKube(assets, root, dir string) (*Kube, error) {
	state, err := os.MkdirTemp("", "slotkeeper-kube-")
	if err != nil {
		return nil, err
	}
	k := &Kube{Kubeconfig: filepath.Join(dir, "kubeconfig"), state: state}
	if k.Env, err = newEnvironment(assets, root, state); err != nil {
		return nil, errors.Join(err, k.cleanup())
	}
	if err := k.logTo(dir); err != nil {
		return nil, errors.Join(err, k.cleanup())
	}
	if _, err := k.Env.Start(); err != nil {
		return nil, errors.Join(err, k.cleanup())
	}
	if err := k.writeKubeconfig(); err != nil {
		return nil, errors.Join(err, k.Stop())
	}
	return k, nil
}

// logTo sends etcd's and kube-apiserver's output to files in dir: what
// they did during a restart is otherwise lost (envtest discards it).
func (k *Kube) logTo(dir string) error {
	etcd, err := k.openLog(filepath.Join(dir, "etcd.log"))
	if err != nil {
		return err
	}
	apiserver, err := k.openLog(filepath.Join(dir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	k.Env.ControlPlane.Etcd.Out, k.Env.ControlPlane.Etcd.Err = etcd, etcd
	as := k.Env.ControlPlane.GetAPIServer()
	as.Out, as.Err = apiserver, apiserver
	return nil
}

func (k *Kube) openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err == nil {
		k.logs = append(k.logs, f)
	}
	return f, err
}

// cleanup closes the logs and removes the state, once nothing runs.
func (k *Kube) cleanup() error {
	var err error
	for _, f := range k.logs {
		err = errors.Join(err, f.Close())
	}
	k.logs = nil
	if k.state != "" {
		err = errors.Join(err, os.RemoveAll(k.state))
	}
	return err
}

// newEnvironment is envtest with etcd's data and the API server's
// certificates in state, so that either can be restarted (StopAPIServer/StartAPIServer,
// StopEtcd/StartEtcd) and keep its objects, address and certificates.
func newEnvironment(assets, root, state string) (*envtest.Environment, error) {
	data, certs := filepath.Join(state, "etcd"), filepath.Join(state, "apiserver")
	for _, d := range []string{data, certs} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: data}
	as := env.ControlPlane.GetAPIServer()
	as.CertDir = certs
	// Without it, a stopping kube-apiserver waits for its clients' watches
	// to end, up to its request timeout (60 s), long past envtest's stop
	// timeout; with it, the watches are closed (clients re-watch elsewhere,
	// as behind a load balancer) and it exits in a few seconds.
	as.Configure().Set("shutdown-watch-termination-grace-period", "5s")
	return env, nil
}

// writeKubeconfig adds a user in system:masters: the harness plays cluster
// admin, like kind would.
func (k *Kube) writeKubeconfig() error {
	user, err := k.Env.AddUser(envtest.User{Name: "demo", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(k.Kubeconfig, kubeconfig, 0o600)
}

// Host is the API server's URL.
func (k *Kube) Host() string { return k.Env.Config.Host }

// Stop stops kube-apiserver and etcd and removes their data.
func (k *Kube) Stop() error {
	return errors.Join(k.Env.Stop(), k.cleanup())
}

// StopAPIServer stops kube-apiserver (SIGTERM, then SIGKILL after envtest's
// stop timeout), as a control-plane upgrade does; etcd keeps running.
func (k *Kube) StopAPIServer() error {
	return k.Env.ControlPlane.GetAPIServer().Stop()
}

// StartAPIServer starts kube-apiserver again on the same address, with the
// same certificates and etcd, so every kubeconfig stays valid; it returns
// once the API server reports ready (CRDs served included).
func (k *Kube) StartAPIServer() error {
	if err := k.Env.ControlPlane.GetAPIServer().Start(); err != nil {
		return err
	}
	return k.WaitReady(readyTimeout)
}

// StopEtcd stops etcd under a running kube-apiserver.
func (k *Kube) StopEtcd() error {
	return k.Env.ControlPlane.Etcd.Stop()
}

// StartEtcd starts etcd again on the same client address with the same
// data, and returns once the API server reports ready again.
func (k *Kube) StartEtcd() error {
	if err := k.Env.ControlPlane.Etcd.Start(); err != nil {
		return err
	}
	return k.WaitReady(readyTimeout)
}

// WaitReady polls the API server's /readyz until it answers 200 (etcd
// reachable, CRDs and RBAC bootstrapped), or fails after timeout.
func (k *Kube) WaitReady(timeout time.Duration) error {
	cfg := rest.CopyConfig(k.Env.Config)
	cfg.Timeout = 5 * time.Second
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		if last = readyz(ctx, hc, cfg.Host); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready after %v: %w", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readyz(ctx context.Context, hc *http.Client, host string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(host, "/")+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s", resp.Status)
	}
	return nil
}
