package helm_test

import (
	"maps"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// wantWiring checks that the objects point at each other: the pods run as
// the bound ServiceAccount, the bindings name the rendered roles, and the
// metrics Service selects the pods' metrics port.
func wantWiring(t *testing.T, r rendered, d appsv1.Deployment, sa string) {
	t.Helper()
	if got := d.Spec.Template.Spec.ServiceAccountName; got != sa {
		t.Errorf("pods run as ServiceAccount %q, want %q", got, sa)
	}
	var crb rbacv1.ClusterRoleBinding
	decodeInto(t, r.named(t, "ClusterRoleBinding", release+"-manager"), &crb)
	wantBinding(t, crb.RoleRef, crb.Subjects, "ClusterRole", r.named(t, "ClusterRole", release+"-manager").Name, sa)
	var svc corev1.Service
	decodeInto(t, r.one(t, "Service"), &svc)
	wantMetricsService(t, svc, d)
}

// wantLeaderElectionWiring checks the Role and RoleBinding of the Lease.
func wantLeaderElectionWiring(t *testing.T, r rendered, sa string) {
	t.Helper()
	var rb rbacv1.RoleBinding
	decodeInto(t, r.one(t, "RoleBinding"), &rb)
	wantBinding(t, rb.RoleRef, rb.Subjects, "Role", r.one(t, "Role").Name, sa)
}

func wantBinding(t *testing.T, ref rbacv1.RoleRef, subjects []rbacv1.Subject, kind, role, sa string) {
	t.Helper()
	if ref.Kind != kind || ref.Name != role {
		t.Errorf("binding refers to %s %s, want %s %s", ref.Kind, ref.Name, kind, role)
	}
	want := rbacv1.Subject{Kind: "ServiceAccount", Name: sa, Namespace: namespace}
	if len(subjects) != 1 || subjects[0] != want {
		t.Errorf("binding of %s %s: subjects %+v, want only %+v", kind, role, subjects, want)
	}
}

func wantMetricsService(t *testing.T, svc corev1.Service, d appsv1.Deployment) {
	t.Helper()
	if !maps.Equal(svc.Spec.Selector, d.Spec.Selector.MatchLabels) {
		t.Errorf("metrics Service selects %v, Deployment's pods are %v", svc.Spec.Selector, d.Spec.Selector.MatchLabels)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if len(svc.Spec.Ports) != 1 || containerPort(c, svc.Spec.Ports[0].TargetPort.String()) != 8080 {
		t.Errorf("metrics Service ports %+v: want one, targeting the container's port 8080", svc.Spec.Ports)
		return
	}
	// The ServiceMonitor names the Service's port; its name must say the
	// scheme as the container's does.
	if p := svc.Spec.Ports[0]; p.Name != p.TargetPort.String() {
		t.Errorf("metrics Service port named %q targets %q: want the container port's name", p.Name, p.TargetPort.String())
	}
}
