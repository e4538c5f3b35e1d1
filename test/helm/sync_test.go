package helm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestCRDsMatchConfig: Helm installs crds/ as they are, so they must be the
// generated ones byte for byte. Needs no tools, so -short runs it too.
func TestCRDsMatchConfig(t *testing.T) {
	config := yamlFiles(t, "config/crd/bases")
	chart := yamlFiles(t, "charts/slotkeeper/crds")
	const fix = "cp config/crd/bases/*.yaml charts/slotkeeper/crds/"
	if !slices.Equal(config, chart) {
		t.Fatalf("CRD files differ: config/crd/bases has %v, the chart %v (%s, and remove stale ones)", config, chart, fix)
	}
	for _, name := range config {
		if !bytes.Equal(readRepoFile(t, "config/crd/bases", name), readRepoFile(t, "charts/slotkeeper/crds", name)) {
			t.Errorf("charts/slotkeeper/crds/%s differs from config/crd/bases (%s)", name, fix)
		}
	}
}

// The operator's ClusterRoles must grant exactly what controller-gen derived
// from the +kubebuilder:rbac markers: no less (the operator would fail), no
// more. The chart splits the rules between the manager ClusterRole and the
// metrics-auth one (see _manager_rules.tpl); together they are the file's.
func TestClusterRoleMatchesConfig(t *testing.T) {
	needHelm(t)
	r := renderChart(t)
	var manager, metricsAuth, config rbacv1.ClusterRole
	decodeInto(t, r.named(t, "ClusterRole", release+"-manager"), &manager)
	decodeInto(t, r.named(t, "ClusterRole", release+"-metrics-auth"), &metricsAuth)
	decodeFile(t, "config/rbac/role.yaml", &config)
	wantSame(t, "ClusterRole rules (templates/_manager_rules.tpl vs config/rbac/role.yaml)",
		sortedRules(manager.Rules, metricsAuth.Rules), sortedRules(config.Rules))
}

func TestMetricsReaderRoleMatchesConfig(t *testing.T) {
	needHelm(t)
	var chart, config rbacv1.ClusterRole
	decodeInto(t, renderChart(t).named(t, "ClusterRole", release+"-metrics-reader"), &chart)
	decodeFile(t, "config/rbac/metrics_reader_role.yaml", &config)
	wantSame(t, "metrics reader ClusterRole rules (vs config/rbac/metrics_reader_role.yaml)", chart.Rules, config.Rules)
}

func TestLeaderElectionRoleMatchesConfig(t *testing.T) {
	needHelm(t)
	var chart, config rbacv1.Role
	decodeInto(t, renderChart(t).one(t, "Role"), &chart)
	decodeFile(t, "config/rbac/leader_election_role.yaml", &config)
	wantSame(t, "leader election Role rules (vs config/rbac/leader_election_role.yaml)", chart.Rules, config.Rules)
}

// yamlFiles lists the *.yaml file names of a directory, sorted.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	slices.Sort(names)
	if len(names) == 0 {
		t.Fatalf("no YAML files in %s", dir)
	}
	return names
}

func readRepoFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
