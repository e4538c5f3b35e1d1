package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// finalizerPolicyFiles are the objects of config/admission, as
// config/default installs them (without its name prefix).
var finalizerPolicyFiles = []string{"finalizer_policy.yaml", "finalizer_policy_binding.yaml"}

// InstallFinalizerPolicy creates the finalizer policy of
// root/config/admission and waits until kube-apiserver applies it: a
// dry-run create of a ReplicationSlot in namespace ns comes back with the
// finalizer. The policy is loaded by an informer of kube-apiserver's, so a
// create made right after the policy's own would otherwise go unmutated.
func InstallFinalizerPolicy(ctx context.Context, cfg *rest.Config, root, ns string) error {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return err
	}
	for _, f := range finalizerPolicyFiles {
		if err := createFromFile(ctx, c, filepath.Join(root, "config", "admission", f)); err != nil {
			return err
		}
	}
	return WaitFinalizerPolicy(ctx, c, ns, true)
}

func createFromFile(ctx context.Context, c client.Client, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return c.Create(ctx, u)
}

// WaitFinalizerPolicy waits until a dry-run create of a ReplicationSlot in
// namespace ns comes back with slotkeeper's finalizer (want) or without it
// (!want): whether the finalizer policy applies there.
func WaitFinalizerPolicy(ctx context.Context, c client.Client, ns string, want bool) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		rs := probeSlot(ns)
		err := c.Create(ctx, rs, client.DryRunAll)
		switch {
		case (meta.IsNoMatchError(err) || apierrors.IsServiceUnavailable(err)) && time.Now().Before(deadline):
			// CRDs that were just established: the client's discovery, and
			// kube-apiserver's schema for the policy (until then it refuses
			// the create with 503), catch up.
		case err != nil:
			return fmt.Errorf("dry-run create to check the finalizer policy: %w", err)
		case slices.Contains(rs.GetFinalizers(), api.FinalizerName) == want:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("in namespace %s, a new ReplicationSlot's finalizer was still %v after %s", ns, !want, readyTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// probeSlot is a valid ReplicationSlot as unstructured, so that any
// client's scheme can send it.
func probeSlot(ns string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"serverRef": map[string]any{"name": "probe"}, "type": string(api.SlotPhysical)},
	}}
	u.SetAPIVersion(api.GroupVersion.String())
	u.SetKind("ReplicationSlot")
	u.SetNamespace(ns)
	u.SetName("finalizer-policy-probe")
	return u
}
