package helm_test

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestLint(t *testing.T) {
	needHelm(t)
	helm(t, "lint", "--strict", chartDir())
}

// TestDefaultValues checks what helm install renders without values.
func TestDefaultValues(t *testing.T) {
	needHelm(t)
	r := renderChart(t)
	want := []string{"ServiceAccount", "ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding",
		"Role", "RoleBinding", "Service", "Deployment"}
	// Monitoring is off by default: its kinds need the Prometheus Operator.
	if got := r.kinds(); !slices.Equal(got, want) {
		t.Fatalf("rendered kinds %v, want %v", got, want)
	}
	wantLabels(t, r)

	d, c := deployment(t, r)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas %v, want 1", d.Spec.Replicas)
	}
	if want := "ghcr.io/slotkeeper/slotkeeper:" + appVersion(t); c.Image != want {
		t.Errorf("image %q, want %q (tag = appVersion)", c.Image, want)
	}
	if c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("imagePullPolicy %q, want IfNotPresent", c.ImagePullPolicy)
	}
	wantArgs(t, c, "--leader-elect", "--metrics-bind-address=:8080", "--metrics-secure=true", "--health-probe-bind-address=:8081",
		"--slot-workers=8", "--action-timeout=30s", "--zap-log-level=info", "--denied-networks=169.254.0.0/16,fe80::/10,fd00:ec2::254/128,100.100.100.200/32")
	wantSelector(t, d)
	wantRestricted(t, d.Spec.Template.Spec)
	wantProbes(t, c)
	wantResources(t, c, "50m", "64Mi", "500m", "256Mi")
	wantWiring(t, r, d, r.one(t, "ServiceAccount").Name)
	wantLeaderElectionWiring(t, r, r.one(t, "ServiceAccount").Name)
	wantSecureMetricsRBAC(t, r, r.one(t, "ServiceAccount").Name)
}
