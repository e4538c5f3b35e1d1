package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// PluginName is the kubectl plugin's binary name: kubectl runs
// `kubectl slotkeeper` by finding kubectl-slotkeeper on PATH.
const PluginName = "kubectl-slotkeeper"

// PluginBin returns $SLOTKEEPER_PLUGIN_BIN when set (make build puts the
// plugin in bin/), else compiles cmd/kubectl-slotkeeper into dir, as
// BuildManager does for the operator.
func PluginBin(ctx context.Context, root, dir string) (string, error) {
	if bin := os.Getenv("SLOTKEEPER_PLUGIN_BIN"); bin != "" {
		_, err := os.Stat(bin)
		return bin, err
	}
	out := filepath.Join(dir, PluginName)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/kubectl-slotkeeper")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -o %s ./cmd/kubectl-slotkeeper: %w\n%s", out, err, msg)
	}
	return out, nil
}

// PluginRun is one run of the plugin: what it printed and its exit code.
type PluginRun struct {
	Stdout, Stderr string
	Code           int
}

// RunPlugin runs the plugin binary against kubeconfig. A non-zero exit is
// a result, not an error: the exit codes are part of the interface under
// test. err is only for a plugin that could not run at all.
func RunPlugin(ctx context.Context, bin, kubeconfig, stdin string, args ...string) (PluginRun, error) {
	k := Kubectl{Bin: bin, Kubeconfig: kubeconfig}
	var out, errOut bytes.Buffer
	cmd := k.Command(ctx, stdin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	run := PluginRun{Stdout: out.String(), Stderr: errOut.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		run.Code, err = exit.ExitCode(), nil
	}
	if err != nil {
		err = fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	return run, err
}
