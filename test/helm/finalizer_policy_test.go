package helm_test

import (
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
)

const mapAPI = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"

// TestFinalizerPolicyFileMatchesConfig needs no tools: the chart's copy of
// the policy's spec is config/admission's.
func TestFinalizerPolicyFileMatchesConfig(t *testing.T) {
	var file, config object
	decodeFile(t, "charts/slotkeeper/files/finalizer-policy.yaml", &file)
	decodeFile(t, "config/admission/finalizer_policy.yaml", &config)
	wantSame(t, "the specs of charts/slotkeeper/files/finalizer-policy.yaml and config/admission/finalizer_policy.yaml "+
		"(re-sync: see charts/slotkeeper/README.md)", file.field("spec"), config.field("spec"))
}

// TestFinalizerPolicyRender: rendered on a cluster that serves the API
// ("auto") or when asked, bound to the policy, everywhere without
// watchNamespaces and only there with them; never on an older cluster.
func TestFinalizerPolicyRender(t *testing.T) {
	needHelm(t)
	for _, tc := range []struct {
		name       string
		args       []string
		want       bool
		namespaces []string
	}{
		// helm template's own capabilities (3.22) do not list the API.
		{"auto, API not served", nil, false, nil},
		{"auto, API served", []string{"--api-versions", mapAPI}, true, nil},
		{"true", []string{"--set", "finalizerPolicy.enabled=true"}, true, nil},
		{"false, API served", []string{"--api-versions", mapAPI, "--set", "finalizerPolicy.enabled=false"}, false, nil},
		{"namespace-scoped", []string{"--api-versions", mapAPI, "--set", watchNamespacesFlag}, true, watched},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := renderChart(t, tc.args...)
			if !tc.want {
				wantNoKind(t, r, "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
				return
			}
			var p admissionv1.MutatingAdmissionPolicy
			var b admissionv1.MutatingAdmissionPolicyBinding
			decodeInto(t, r.named(t, "MutatingAdmissionPolicy", release+"-finalizers"), &p)
			decodeInto(t, r.named(t, "MutatingAdmissionPolicyBinding", release+"-finalizers"), &b)
			wantPolicyBinding(t, b, p.Name, tc.namespaces)
		})
	}
}

// TestFinalizerPolicyRefusesOtherValues: a typo must not quietly turn the
// policy off.
func TestFinalizerPolicyRefusesOtherValues(t *testing.T) {
	needHelm(t)
	_, err := helmCmd(t, "template", release, chartDir(), "--set", "finalizerPolicy.enabled=yes")
	if err == nil || !strings.Contains(err.Error(), "finalizerPolicy.enabled") {
		t.Fatalf("finalizerPolicy.enabled=yes rendered (error %v); want a refusal naming the key", err)
	}
}

func wantNoKind(t *testing.T, r rendered, kinds ...string) {
	t.Helper()
	for _, k := range kinds {
		for _, m := range r.all(k) {
			t.Errorf("%s %s rendered", k, m.Name)
		}
	}
}

// wantPolicyBinding: the binding names the policy and selects exactly the
// namespaces (every one when namespaces is nil).
func wantPolicyBinding(t *testing.T, b admissionv1.MutatingAdmissionPolicyBinding, policy string, namespaces []string) {
	t.Helper()
	if b.Spec.PolicyName != policy {
		t.Errorf("binding names policy %q, want %q", b.Spec.PolicyName, policy)
	}
	if namespaces == nil {
		if b.Spec.MatchResources != nil {
			t.Errorf("binding narrows the match without watchNamespaces: %+v", b.Spec.MatchResources)
		}
		return
	}
	if b.Spec.MatchResources == nil || b.Spec.MatchResources.NamespaceSelector == nil {
		t.Fatal("binding has no namespaceSelector with watchNamespaces")
	}
	sel := b.Spec.MatchResources.NamespaceSelector.MatchExpressions
	if len(sel) != 1 || sel[0].Key != "kubernetes.io/metadata.name" || string(sel[0].Operator) != "In" ||
		strings.Join(sel[0].Values, ",") != strings.Join(namespaces, ",") {
		t.Errorf("binding selects %+v, want kubernetes.io/metadata.name In %v", sel, namespaces)
	}
}
