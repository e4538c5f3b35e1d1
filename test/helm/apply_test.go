package helm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var slotkeeperCRDs = []string{"postgresservers.pg.slotkeeper.dev", "replicationslots.pg.slotkeeper.dev"}

// TestApplyToAPIServer applies the default render, CRDs included, to a bare
// kube-apiserver, then the monitoring objects once stand-in Prometheus
// Operator CRDs exist. There are no controllers in envtest: this proves the
// API server accepts every object, not that the operator runs.
func TestApplyToAPIServer(t *testing.T) {
	needHelm(t)
	assets, kubectl := needKube(t)
	c := startCluster(t, assets, kubectl)
	c.run(t, nil, "create", "namespace", namespace)
	c.apply(t, helm(t, "template", release, chartDir(), "--namespace", namespace, "--include-crds"))
	wantEstablished(t, c.client, slotkeeperCRDs...)
	wantObjects(t, c.client)

	c.apply(t, readTestdata(t, "monitoring-crds.yaml"))
	wantEstablished(t, c.client, "servicemonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com")
	c.apply(t, helm(t, "template", release, chartDir(), "--namespace", namespace,
		"--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true"))
	wantExists(t, c.client, unstructuredOf("monitoring.coreos.com/v1", "ServiceMonitor", namespace, release))
	wantExists(t, c.client, unstructuredOf("monitoring.coreos.com/v1", "PrometheusRule", namespace, release+"-slot-alerts"))
}

// wantObjects checks the chart's objects under the names a release called
// "slotkeeper" gives them.
func wantObjects(t *testing.T, cl client.Client) {
	t.Helper()
	for _, want := range []struct {
		obj             client.Object
		namespace, name string
	}{
		{&appsv1.Deployment{}, namespace, release},
		{&corev1.ServiceAccount{}, namespace, release},
		{&corev1.Service{}, namespace, release + "-metrics"},
		{&rbacv1.Role{}, namespace, release + "-leader-election"},
		{&rbacv1.RoleBinding{}, namespace, release + "-leader-election"},
		{&rbacv1.ClusterRole{}, "", release + "-manager"},
		{&rbacv1.ClusterRoleBinding{}, "", release + "-manager"},
		{&rbacv1.ClusterRole{}, "", release + "-metrics-auth"},
		{&rbacv1.ClusterRoleBinding{}, "", release + "-metrics-auth"},
		{&rbacv1.ClusterRole{}, "", release + "-metrics-reader"},
	} {
		want.obj.SetNamespace(want.namespace)
		want.obj.SetName(want.name)
		wantExists(t, cl, want.obj)
	}
}

// wantExists reads the object named by o's namespace and name into o.
func wantExists(t *testing.T, cl client.Client, o client.Object) {
	t.Helper()
	if err := cl.Get(t.Context(), client.ObjectKeyFromObject(o), o); err != nil {
		t.Errorf("%T %s: %v", o, client.ObjectKeyFromObject(o), err)
	}
}

func unstructuredOf(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// wantEstablished waits until each CRD is Established: its API is served.
// The API server sets the condition asynchronously, in about a second.
func wantEstablished(t *testing.T, cl client.Client, names ...string) {
	t.Helper()
	for _, name := range names {
		crd := unstructuredOf("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)
		err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true,
			func(ctx context.Context) (bool, error) {
				if err := cl.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
					return false, client.IgnoreNotFound(err)
				}
				return hasCondition(crd, "Established"), nil
			})
		if err != nil {
			t.Errorf("CRD %s not Established: %v", name, err)
		}
	}
}

func hasCondition(u *unstructured.Unstructured, condition string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == condition && m["status"] == "True" {
			return true
		}
	}
	return false
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
