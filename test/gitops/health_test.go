package gitops_test

import (
	"io"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// TestKstatus: what Flux, kpt and cli-utils compute for each state.
func TestKstatus(t *testing.T) {
	objs := cluster(t)
	for _, st := range states() {
		t.Run(st.name, func(t *testing.T) {
			res, err := kstatus.Compute(objs[st.name])
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != st.kstatus {
				t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, st.kstatus)
			}
		})
	}
}

// TestArgoCDHealth: what the argocd-cm health scripts compute for each state.
func TestArgoCDHealth(t *testing.T) {
	objs := cluster(t)
	for _, st := range states() {
		t.Run(st.name, func(t *testing.T) {
			got, msg := argoHealth(t, readScript(t, st.kind), objs[st.name].Object)
			t.Logf("%s: %s", got, msg)
			if !argoHealthCodes[got] {
				t.Fatalf("hs.status = %q: Argo CD would show Unknown", got)
			}
			if got != st.argo {
				t.Errorf("hs.status = %s (%s), want %s", got, msg, st.argo)
			}
			if !strings.Contains(msg, st.argoMessage) {
				t.Errorf("hs.message = %q, want it to contain %q", msg, st.argoMessage)
			}
		})
	}
}

// TestKubectlWaitReady: `kubectl wait --for=condition=Ready` (kubectl also
// compares the condition's observedGeneration with metadata.generation)
// succeeds exactly for the objects that are Ready for their current spec.
func TestKubectlWaitReady(t *testing.T) {
	objs := cluster(t)
	kubectl := env.ControlPlane.KubeCtl()
	for _, st := range states() {
		t.Run(st.name, func(t *testing.T) {
			stdout, stderr, err := kubectl.Run("wait", "--for=condition=Ready", "--timeout=0s",
				"-n", ns, resourceOf(objs[st.name]))
			out, _ := io.ReadAll(io.MultiReader(stdout, stderr))
			t.Logf("kubectl wait: %s", strings.TrimSpace(string(out)))
			if met := err == nil; met != st.waitReady {
				t.Errorf("kubectl wait met = %v, want %v (%v)", met, st.waitReady, err)
			}
			if st.waitReady {
				readyForGeneration(t, objs[st.name])
			}
		})
	}
}

// readyForGeneration: Ready is "True" and both it and status observed the
// current generation, which is what makes the wait above mean something.
func readyForGeneration(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	gen := u.GetGeneration()
	observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		c, _ := c.(map[string]any)
		if c["type"] == "Ready" {
			if c["status"] != "True" || c["observedGeneration"] != gen || observed != gen {
				t.Errorf("Ready = %v, status.observedGeneration = %d, generation = %d", c, observed, gen)
			}
			return
		}
	}
	t.Errorf("no Ready condition in %v", conds)
}

// resourceOf is kubectl's TYPE/NAME for an object of this API group.
func resourceOf(u *unstructured.Unstructured) string {
	return strings.ToLower(u.GetKind()) + "s." + u.GroupVersionKind().Group + "/" + u.GetName()
}
