package helm_test

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// cluster is an envtest kube-apiserver, reached by kubectl through a
// kubeconfig file and by the test through a controller-runtime client.
type cluster struct {
	kubectl, kubeconfig string
	client              client.Client
}

// startCluster starts kube-apiserver and etcd without any CRD: the chart
// must bring its own. They stop when the test ends.
func startCluster(t *testing.T, assets, kubectl string) cluster {
	t.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest from %s: %v", assets, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return cluster{kubectl: kubectl, kubeconfig: writeKubeconfig(t, env), client: cl}
}

// writeKubeconfig adds a cluster-admin user, as helm users have on a fresh
// cluster, and writes its kubeconfig for kubectl.
func writeKubeconfig(t *testing.T, env *envtest.Environment) string {
	t.Helper()
	user, err := env.AddUser(envtest.User{Name: "helm-test", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs kubectl against the cluster, stdin being its input.
func (c cluster) run(t *testing.T, stdin []byte, args ...string) {
	t.Helper()
	args = append([]string{"--kubeconfig", c.kubeconfig}, args...)
	if _, err := run(t.Context(), stdin, nil, c.kubectl, args...); err != nil {
		t.Fatal(err)
	}
}

// apply server-side applies manifests, like make deploy: CRDs with large
// schemas outgrow the client-side last-applied annotation.
func (c cluster) apply(t *testing.T, manifests []byte) {
	t.Helper()
	c.run(t, manifests, "apply", "--server-side", "-f", "-")
}
