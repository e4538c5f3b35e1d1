// Package helm_test checks the Helm chart in charts/slotkeeper with a real
// helm binary: what it renders, that its copies of files in config/ did not
// drift, and that its objects apply to a kube-apiserver (envtest).
package helm_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	release   = "slotkeeper"
	namespace = "slotkeeper-system"
)

// repoRoot is relative to the package directory, where go test runs.
var repoRoot = filepath.Join("..", "..")

func chartDir() string { return filepath.Join(repoRoot, "charts", "slotkeeper") }

// needHelm returns $HELM. Without it the test fails rather than skips: a
// skipped test would read as a passing one in CI. Only -short skips.
func needHelm(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs helm ($HELM); skipped with -short")
	}
	return needPath(t, "HELM", "a helm binary; bash hack/install-helm.sh builds one and prints its path")
}

// needKube returns the envtest assets directory and kubectl, like needHelm.
func needKube(t *testing.T) (assets, kubectl string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs kube-apiserver ($KUBEBUILDER_ASSETS); skipped with -short")
	}
	assets = needPath(t, "KUBEBUILDER_ASSETS", "the envtest binaries; make envtest builds them into bin/envtest-<version>")
	if os.Getenv("KUBECTL") == "" {
		// make envtest builds kubectl next to kube-apiserver.
		return assets, needFile(t, "KUBECTL", filepath.Join(assets, "kubectl"))
	}
	return assets, needPath(t, "KUBECTL", "a kubectl binary")
}

func needPath(t *testing.T, key, what string) string {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		t.Fatalf("$%s is not set: it must name %s (or run go test -short to skip this test)", key, what)
	}
	return needFile(t, key, v)
}

func needFile(t *testing.T, key, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("$%s: %v", key, err)
	}
	return path
}

// helmCmd runs helm with its cache, config and data homes in a temporary
// directory, so the test neither reads nor writes the user's repositories.
func helmCmd(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	home := t.TempDir()
	env := []string{"HELM_CACHE_HOME=" + home, "HELM_CONFIG_HOME=" + home, "HELM_DATA_HOME=" + home}
	return run(t.Context(), nil, env, needHelm(t), args...)
}

// helm runs helm and fails the test when it fails.
func helm(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := helmCmd(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs a command and returns its standard output; the error carries its
// standard error, which is where helm and kubectl explain themselves.
func run(ctx context.Context, stdin []byte, env []string, bin string, args ...string) ([]byte, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, errOut.String())
	}
	return out.Bytes(), nil
}
