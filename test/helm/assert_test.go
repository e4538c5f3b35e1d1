package helm_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nonRootUID is the distroless "nonroot" user the Dockerfile's image runs as.
const nonRootUID = 65532

// deployment decodes the one Deployment and its one container.
func deployment(t *testing.T, r rendered) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	var d appsv1.Deployment
	decodeInto(t, r.one(t, "Deployment"), &d)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("want 1 container, got %d", n)
	}
	return d, d.Spec.Template.Spec.Containers[0]
}

// wantLabels checks the recommended labels on every rendered object, and
// that namespaced ones are put in the release namespace explicitly (kubectl
// apply -f would otherwise use the kubeconfig's namespace).
func wantLabels(t *testing.T, r rendered) {
	t.Helper()
	want := map[string]string{
		"app.kubernetes.io/name":       "slotkeeper",
		"app.kubernetes.io/instance":   release,
		"app.kubernetes.io/version":    appVersion(t),
		"app.kubernetes.io/managed-by": "Helm",
	}
	for _, m := range r {
		var obj struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := json.Unmarshal(m.JSON, &obj); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if got := obj.Metadata.Labels[k]; got != v {
				t.Errorf("%s %s: label %s = %q, want %q", m.Kind, m.Name, k, got, v)
			}
		}
		clusterScoped := m.Kind == "ClusterRole" || m.Kind == "ClusterRoleBinding"
		if !clusterScoped && obj.Metadata.Namespace != namespace {
			t.Errorf("%s %s: namespace %q, want %q", m.Kind, m.Name, obj.Metadata.Namespace, namespace)
		}
	}
}

// wantSelector checks that the selector holds only the stable labels (a
// Deployment's selector is immutable) and that the pods carry them.
func wantSelector(t *testing.T, d appsv1.Deployment) {
	t.Helper()
	want := map[string]string{"app.kubernetes.io/name": "slotkeeper", "app.kubernetes.io/instance": release}
	if got := d.Spec.Selector.MatchLabels; !maps.Equal(got, want) || len(d.Spec.Selector.MatchExpressions) > 0 {
		t.Errorf("selector %v, want matchLabels %v only", d.Spec.Selector, want)
	}
	for k, v := range want {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("pod template lacks selector label %s=%s", k, v)
		}
	}
}

// wantRestricted checks the "restricted" Pod Security Standard settings.
func wantRestricted(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || !isTrue(psc.RunAsNonRoot) || !isUID(psc.RunAsUser) || !isRuntimeDefault(psc.SeccompProfile) {
		t.Errorf("pod securityContext %+v: want runAsNonRoot, runAsUser %d, seccomp RuntimeDefault", psc, nonRootUID)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil {
			t.Fatalf("container %s has no securityContext", c.Name)
		}
		if !isTrue(sc.RunAsNonRoot) || !isUID(sc.RunAsUser) || !isTrue(sc.ReadOnlyRootFilesystem) ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !isRuntimeDefault(sc.SeccompProfile) ||
			sc.Privileged != nil && *sc.Privileged {
			t.Errorf("container %s securityContext %+v: want non-root %d, read-only root, no privilege escalation, seccomp RuntimeDefault",
				c.Name, sc, nonRootUID)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			t.Errorf("container %s capabilities %+v: want drop [ALL], add none", c.Name, sc.Capabilities)
		}
	}
}

// wantProbes checks liveness on /healthz and readiness on /readyz, both on
// the port the operator serves probes on (--health-probe-bind-address=:8081).
func wantProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	wantHTTPProbe(t, c, "liveness", c.LivenessProbe, "/healthz")
	wantHTTPProbe(t, c, "readiness", c.ReadinessProbe, "/readyz")
}

func wantHTTPProbe(t *testing.T, c corev1.Container, what string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("no HTTP %s probe", what)
		return
	}
	if p.HTTPGet.Path != path || containerPort(c, p.HTTPGet.Port.String()) != 8081 {
		t.Errorf("%s probe %s on port %s, want %s on 8081", what, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

// containerPort resolves a named port of the container (0 when unknown).
func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// wantResources compares requests and limits of cpu and memory.
func wantResources(t *testing.T, c corev1.Container, reqCPU, reqMem, limCPU, limMem string) {
	t.Helper()
	check := func(what string, got resource.Quantity, want string) {
		if got.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("%s = %s, want %s", what, got.String(), want)
		}
	}
	r := c.Resources
	check("requests.cpu", r.Requests[corev1.ResourceCPU], reqCPU)
	check("requests.memory", r.Requests[corev1.ResourceMemory], reqMem)
	check("limits.cpu", r.Limits[corev1.ResourceCPU], limCPU)
	check("limits.memory", r.Limits[corev1.ResourceMemory], limMem)
}

func wantArgs(t *testing.T, c corev1.Container, want ...string) {
	t.Helper()
	if !slices.Equal(c.Args, want) {
		t.Errorf("args\n got %q\nwant %q", c.Args, want)
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func isUID(id *int64) bool { return id != nil && *id == nonRootUID }

func isRuntimeDefault(p *corev1.SeccompProfile) bool {
	return p != nil && p.Type == corev1.SeccompProfileTypeRuntimeDefault
}
