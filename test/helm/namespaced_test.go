package helm_test

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// watched are the namespaces the namespace-scoped renders watch.
var watched = []string{"team-a", "team-b"}

// watchNamespacesFlag is how the renders set them; the duplicate checks
// that each namespace gets one Role and appears once in the flag.
const watchNamespacesFlag = "watchNamespaces={team-a,team-b,team-a}"

// TestNamespacedValues: with watchNamespaces, the operator gets the
// ClusterRole's rules as a Role in each watched namespace and nothing
// cluster-wide on objects (in particular no right to read Secrets
// elsewhere), and is told to watch only those namespaces. Secure metrics
// keep their ClusterRoles: reviews of callers are cluster-scoped, and the
// reader's is for scrapers.
func TestNamespacedValues(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", watchNamespacesFlag)
	wantOnlyMetricsClusterRBAC(t, r, true)
	sa := r.one(t, "ServiceAccount").Name
	wantManagerRoles(t, r)
	wantSecureMetricsRBAC(t, r, sa)
	wantManagerRoleBindings(t, r, sa)
	wantLeaderElectionRole(t, r)
	_, c := deployment(t, r)
	wantArgs(t, c, "--leader-elect", "--metrics-bind-address=:8080", "--metrics-secure=true", "--health-probe-bind-address=:8081",
		"--slot-workers=8", "--action-timeout=30s", "--zap-log-level=info",
		"--denied-networks=169.254.0.0/16,fe80::/10,fd00:ec2::254/128,100.100.100.200/32",
		"--watch-namespaces=team-a,team-b")
}

// With plain metrics nothing cluster-wide is left at all.
func TestNamespacedPlainMetrics(t *testing.T) {
	needHelm(t)
	wantOnlyMetricsClusterRBAC(t, renderChart(t, "--set", watchNamespacesFlag, "--set", "metrics.secure=false"), false)
}

// wantOnlyMetricsClusterRBAC fails on any cluster-wide RBAC object but the
// secure metrics' ones, and on those too unless secure.
func wantOnlyMetricsClusterRBAC(t *testing.T, r rendered, secure bool) {
	t.Helper()
	allowed := map[string]bool{}
	if secure {
		allowed = map[string]bool{"ClusterRole " + release + "-metrics-auth": true,
			"ClusterRole " + release + "-metrics-reader": true, "ClusterRoleBinding " + release + "-metrics-auth": true}
	}
	for _, m := range r {
		if (m.Kind == "ClusterRole" || m.Kind == "ClusterRoleBinding") && !allowed[m.Kind+" "+m.Name] {
			t.Errorf("%s %s rendered with watchNamespaces: the operator must hold no cluster-wide rule on objects", m.Kind, m.Name)
		}
	}
}

// An empty entry would put a Role in the release namespace, not a watched one.
func TestNamespacedEmptyEntry(t *testing.T) {
	needHelm(t)
	wantRenderError(t, "watchNamespaces: an entry is empty", "--set", "watchNamespaces={team-a,}")
}

// wantManagerRoles: one Role per watched namespace, holding the rules of
// config/rbac/role.yaml but for the metrics reviews, which the metrics-auth
// ClusterRole holds.
func wantManagerRoles(t *testing.T, r rendered) {
	t.Helper()
	var config, metricsAuth rbacv1.ClusterRole
	decodeFile(t, "config/rbac/role.yaml", &config)
	decodeInto(t, r.named(t, "ClusterRole", release+"-metrics-auth"), &metricsAuth)
	var namespaces []string
	for _, m := range r.all("Role") {
		var role rbacv1.Role
		decodeInto(t, m, &role)
		if role.Name != release+"-manager" {
			continue
		}
		namespaces = append(namespaces, role.Namespace)
		wantSame(t, "Role rules in "+role.Namespace+" and metrics-auth's (vs config/rbac/role.yaml)",
			sortedRules(role.Rules, metricsAuth.Rules), sortedRules(config.Rules))
	}
	if !slices.Equal(namespaces, watched) {
		t.Errorf("manager Roles in namespaces %q, want %q", namespaces, watched)
	}
}

// wantManagerRoleBindings: each binds its namespace's Role to the
// operator's ServiceAccount, which lives in the release namespace.
func wantManagerRoleBindings(t *testing.T, r rendered, sa string) {
	t.Helper()
	var namespaces []string
	for _, m := range r.all("RoleBinding") {
		var rb rbacv1.RoleBinding
		decodeInto(t, m, &rb)
		if rb.Name != release+"-manager" {
			continue
		}
		namespaces = append(namespaces, rb.Namespace)
		wantBinding(t, rb.RoleRef, rb.Subjects, "Role", release+"-manager", sa)
	}
	if !slices.Equal(namespaces, watched) {
		t.Errorf("manager RoleBindings in namespaces %q, want %q", namespaces, watched)
	}
}

// wantLeaderElectionRole: the Lease's Role stays where the Lease is.
func wantLeaderElectionRole(t *testing.T, r rendered) {
	t.Helper()
	for _, m := range r.all("Role") {
		var role rbacv1.Role
		decodeInto(t, m, &role)
		if role.Name == release+"-leader-election" && role.Namespace == namespace {
			return
		}
	}
	t.Errorf("no leader election Role in %s; rendered kinds %v", namespace, r.kinds())
}

// all returns every document of a kind, in rendering order.
func (r rendered) all(kind string) []manifest {
	var out []manifest
	for _, m := range r {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}
