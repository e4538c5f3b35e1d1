package helm_test

import (
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// TestKustomizeDefaultApplies renders config/default as make deploy does
// (kubectl kustomize) and applies it to a bare kube-apiserver: every object
// must be accepted, including the finalizer policy, whose kind kustomize
// takes for namespaced (it gets the namespace, which kube-apiserver drops)
// and whose binding must name the policy under its prefixed name. A new
// ReplicationSlot then gets its finalizer.
func TestKustomizeDefaultApplies(t *testing.T) {
	assets, kubectl := needKube(t)
	c := startCluster(t, assets, kubectl)
	manifests, err := run(t.Context(), nil, nil, kubectl, "kustomize", filepath.Join(repoRoot, "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	c.apply(t, manifests)
	wantEstablished(t, c.client, slotkeeperCRDs...)
	policy := unstructuredOf("admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy", "", "slotkeeper-finalizers")
	binding := unstructuredOf("admissionregistration.k8s.io/v1", "MutatingAdmissionPolicyBinding", "", "slotkeeper-finalizers")
	for _, o := range []client.Object{policy, binding} {
		wantExists(t, c.client, o)
		if o.GetNamespace() != "" {
			t.Errorf("%s %s kept namespace %q", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), o.GetNamespace())
		}
	}
	if err := harness.WaitFinalizerPolicy(t.Context(), c.client, "default", true); err != nil {
		t.Fatal(err)
	}
}
