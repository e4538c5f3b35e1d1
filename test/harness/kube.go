package harness

import (
	"errors"
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Kube is a running kube-apiserver and etcd with the slotkeeper CRDs, and a
// kubeconfig file for it.
type Kube struct {
	Env        *envtest.Environment
	Kubeconfig string // path of the admin kubeconfig
}

// StartKube starts envtest with the CRDs of root/config/crd/bases and writes
// a kubeconfig for a cluster-admin user into dir, which kubectl and the
// operator both use. On error nothing is left running.
func StartKube(assets, root, dir string) (*Kube, error) {
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := env.Start(); err != nil {
		return nil, err
	}
	k := &Kube{Env: env, Kubeconfig: filepath.Join(dir, "kubeconfig")}
	if err := k.writeKubeconfig(); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return k, nil
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

// Stop stops kube-apiserver and etcd.
func (k *Kube) Stop() error { return k.Env.Stop() }
