package helm_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// wantSecureMetricsRBAC: the operator's ServiceAccount is bound to the
// metrics-auth ClusterRole, which holds the reviews and nothing else, and
// the metrics-reader ClusterRole is there for scrapers but bound to no one:
// who scrapes is the cluster's choice.
func wantSecureMetricsRBAC(t *testing.T, r rendered, sa string) {
	t.Helper()
	var auth rbacv1.ClusterRole
	decodeInto(t, r.named(t, "ClusterRole", release+"-metrics-auth"), &auth)
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
	}
	wantSame(t, "metrics-auth ClusterRole rules", auth.Rules, want)
	var crb rbacv1.ClusterRoleBinding
	decodeInto(t, r.named(t, "ClusterRoleBinding", release+"-metrics-auth"), &crb)
	wantBinding(t, crb.RoleRef, crb.Subjects, "ClusterRole", auth.Name, sa)
	reader := r.named(t, "ClusterRole", release+"-metrics-reader").Name
	for _, m := range r.all("ClusterRoleBinding") {
		var b rbacv1.ClusterRoleBinding
		decodeInto(t, m, &b)
		if b.RoleRef.Name == reader {
			t.Errorf("ClusterRoleBinding %s binds %s: the chart must leave that to the cluster", b.Name, reader)
		}
	}
}

// sortedRules joins lists of rules and sorts them, so that rules split
// between roles compare with the one list controller-gen writes.
func sortedRules(lists ...[]rbacv1.PolicyRule) []rbacv1.PolicyRule {
	out := slices.Concat(lists...)
	slices.SortFunc(out, func(a, b rbacv1.PolicyRule) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	return out
}
