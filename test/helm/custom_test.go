package helm_test

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestCustomValues renders testdata/custom-values.yaml, which changes every
// value, and checks each one arrives where it should, without loosening the
// security settings.
func TestCustomValues(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "-f", filepath.Join("testdata", "custom-values.yaml"))
	wantLabels(t, r)
	d, c := deployment(t, r)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	if c.Image != "registry.example.com/team/slotkeeper:v9.8.7" || c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("image %q pull %q, want the custom image, Always", c.Image, c.ImagePullPolicy)
	}
	wantArgs(t, c, "--leader-elect", "--leader-election-id=slotkeeper-shard-a", "--metrics-bind-address=:8080", "--metrics-secure=true", "--health-probe-bind-address=:8081",
		"--slot-workers=16", "--action-timeout=1m", "--zap-log-level=debug",
		"--allowed-networks=10.0.0.0/8,fd12::/16", "--denied-networks=169.254.0.0/16,10.9.0.0/16", "--zap-encoder=console")
	wantResources(t, c, "100m", "128Mi", "1", "512Mi")
	wantRestricted(t, d.Spec.Template.Spec)
	wantSelector(t, d)
	wantPodPlacement(t, d.Spec.Template.Spec)
	wantPodAnnotations(t, d.Spec.Template.Annotations)
	wantWiring(t, r, d, "slotkeeper-operator")
	wantLeaderElectionWiring(t, r, "slotkeeper-operator")
	wantMonitoring(t, r)
}

func wantPodPlacement(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	if pod.NodeSelector["kubernetes.io/os"] != "linux" {
		t.Errorf("nodeSelector %v", pod.NodeSelector)
	}
	if len(pod.Tolerations) != 1 || pod.Tolerations[0].Key != "dedicated" {
		t.Errorf("tolerations %+v", pod.Tolerations)
	}
	if pod.Affinity == nil || pod.Affinity.NodeAffinity == nil {
		t.Errorf("affinity %+v", pod.Affinity)
	}
	if len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "regcred" {
		t.Errorf("imagePullSecrets %+v", pod.ImagePullSecrets)
	}
}

// wantPodAnnotations: podAnnotations add to the chart's own, not replace it.
func wantPodAnnotations(t *testing.T, a map[string]string) {
	t.Helper()
	if a["example.com/team"] != "dba" || a["kubectl.kubernetes.io/default-container"] != "manager" {
		t.Errorf("pod annotations %v", a)
	}
}

func TestLeaderElectionDisabled(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", "leaderElection.enabled=false")
	for _, k := range r.kinds() {
		if k == "Role" || k == "RoleBinding" {
			t.Errorf("%s rendered without leader election: it would grant Lease access for nothing", k)
		}
	}
	_, c := deployment(t, r)
	wantArgs(t, c, "--metrics-bind-address=:8080", "--metrics-secure=true", "--health-probe-bind-address=:8081",
		"--slot-workers=8", "--action-timeout=30s", "--zap-log-level=info", "--denied-networks=169.254.0.0/16,fe80::/10,fd00:ec2::254/128,100.100.100.200/32")
}

// Two replicas without leader election would both create and drop slots.
func TestReplicasNeedLeaderElection(t *testing.T) {
	needHelm(t)
	wantRenderError(t, "needs leaderElection.enabled", "--set", "leaderElection.enabled=false", "--set", "replicas=2")
}

func TestExistingServiceAccount(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", "serviceAccount.create=false", "--set", "serviceAccount.name=existing")
	for _, k := range r.kinds() {
		if k == "ServiceAccount" {
			t.Error("ServiceAccount rendered with serviceAccount.create=false")
		}
	}
	d, _ := deployment(t, r)
	wantWiring(t, r, d, "existing")
	wantRenderError(t, "serviceAccount.name is required", "--set", "serviceAccount.create=false")
}

func wantRenderError(t *testing.T, msg string, args ...string) {
	t.Helper()
	base := []string{"template", release, chartDir(), "--namespace", namespace}
	_, err := helmCmd(t, append(base, args...)...)
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Errorf("helm template %v: error %v, want one saying %q", args, err, msg)
	}
}
