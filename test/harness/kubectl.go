package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Kubectl runs a kubectl binary against one kubeconfig.
type Kubectl struct {
	Bin        string
	Kubeconfig string
}

// Command prepares a kubectl run; stdin is its input when not empty. The
// caller sets Stdout and Stderr.
func (k Kubectl) Command(ctx context.Context, stdin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, k.Bin, args...)
	// Appended last, so it wins over a KUBECONFIG of the reader's own shell.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.Kubeconfig)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return cmd
}

// Run runs kubectl and returns its standard output and error separately:
// callers check what the API server said on stderr.
func (k Kubectl) Run(ctx context.Context, stdin string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	cmd := k.Command(ctx, stdin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), errOut.String(), err
}

// Output runs kubectl and returns its standard output; the error carries
// its standard error.
func (k Kubectl) Output(ctx context.Context, args ...string) (string, error) {
	out, _, err := k.Run(ctx, "", args...)
	return out, err
}
