// Package gitops_test proves that the health GitOps tools compute for
// slotkeeper's objects is what the operator means: kstatus (Flux, kpt,
// cli-utils) and the Argo CD Lua checks in config/argocd, run against objects
// a real kube-apiserver stored, with the conditions the operator writes.
package gitops_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// ns holds every object of this package.
const ns = "gitops"

var (
	setupOnce sync.Once
	setupErr  error
	env       *envtest.Environment
	// stored is each state's object as the API server returned it, by name.
	stored map[string]*unstructured.Unstructured
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}
	os.Exit(code)
}

// cluster starts kube-apiserver once, seeds every state of states() and
// returns the stored objects. It skips under -short and fails, never skips,
// when the control plane binaries are not configured.
func cluster(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	if testing.Short() {
		t.Skip("needs kube-apiserver (envtest); run without -short, e.g. make test")
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: point it at kube-apiserver and etcd " +
			"(make test does; by hand: KUBEBUILDER_ASSETS=$PWD/bin/envtest-v1.36.3), or run with -short to skip")
	}
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("envtest: %v", setupErr)
	}
	return stored
}

func setup() error {
	env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := api.AddToScheme(scheme); err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	stored, err = seedAll(context.Background(), c)
	return err
}

// seedAll creates the namespace and one object per state, then reads each
// back as unstructured, the form Argo CD and kstatus see.
func seedAll(ctx context.Context, c client.Client) (map[string]*unstructured.Unstructured, error) {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, err
	}
	out := map[string]*unstructured.Unstructured{}
	for _, st := range states() {
		s := &seeder{ctx: ctx, c: c}
		if err := st.seed(s, st.name); err != nil {
			return nil, fmt.Errorf("seeding %s: %w", st.name, err)
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(api.GroupVersion.WithKind(st.kind))
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: st.name}, u); err != nil {
			return nil, fmt.Errorf("reading %s back: %w", st.name, err)
		}
		out[st.name] = u
	}
	return out, nil
}
