package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// EnvtestVersion is the directory under bin/ where make envtest builds
// kube-apiserver, etcd and kubectl.
const EnvtestVersion = "envtest-v1.36.3"

// Paths are the binaries a run needs. The environment variables are the ones
// the Makefile exports (TEST_ENV), so `make test` and `make demo` agree.
type Paths struct {
	Root    string // repository root
	Assets  string // $KUBEBUILDER_ASSETS: kube-apiserver, etcd
	Kubectl string // $KUBECTL
	Manager string // $SLOTKEEPER_MANAGER_BIN: the operator
}

// DefaultPaths reads the environment, falling back to what make puts in bin/.
func DefaultPaths() (Paths, error) {
	root, err := pgtest.RepoRoot()
	if err != nil {
		return Paths{}, err
	}
	p := Paths{Root: root}
	p.Assets = envOr("KUBEBUILDER_ASSETS", filepath.Join(root, "bin", EnvtestVersion))
	p.Kubectl = envOr("KUBECTL", filepath.Join(p.Assets, "kubectl"))
	p.Manager = envOr("SLOTKEEPER_MANAGER_BIN", filepath.Join(root, "bin", "manager"))
	return p, nil
}

// Check fails when a binary is missing, before anything slow has started.
func (p Paths) Check() error {
	for _, bin := range []string{p.Kubectl, p.Manager, filepath.Join(p.Assets, "kube-apiserver")} {
		if _, err := os.Stat(bin); err != nil {
			return err
		}
	}
	return nil
}

// BuildManager compiles the operator from the repository root into
// dir/manager, for runs that were not given a prebuilt binary.
func BuildManager(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "manager")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -o %s .: %w\n%s", out, err, msg)
	}
	return out, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
