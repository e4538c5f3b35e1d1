package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// operatorStopGrace is how long the operator gets to shut down on SIGTERM.
const operatorStopGrace = 10 * time.Second

// startKube starts kube-apiserver and etcd with the slotkeeper CRDs
// installed and writes a kubeconfig for an admin user, which kubectl and the
// operator both use.
func (d *demo) startKube(ctx context.Context) error {
	kube, err := harness.StartKube(d.paths.Assets, d.paths.Root, d.dir)
	if err != nil {
		return err
	}
	d.kube = kube
	d.onCleanup(func() {
		if err := kube.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	})
	d.kubectl = harness.Kubectl{Bin: d.paths.Kubectl, Kubeconfig: kube.Kubeconfig}
	// As config/default installs it on Kubernetes 1.36+.
	if err := harness.InstallFinalizerPolicy(ctx, kube.Env.Config, d.paths.Root, "default"); err != nil {
		return err
	}
	fmt.Println("kube-apiserver:", kube.Host())
	fmt.Println("kubeconfig:    ", kube.Kubeconfig)
	return nil
}

// startOperator runs the operator binary against the demo API server.
func (d *demo) startOperator(ctx context.Context) error {
	o, err := harness.StartOperator(d.paths.Manager, d.kube.Kubeconfig, filepath.Join(d.dir, "operator.log"))
	if err != nil {
		return err
	}
	d.operator = o
	d.onCleanup(func() { o.Stop(operatorStopGrace) })
	fmt.Printf("operator: %s (pid %d)\n", o.Bin, o.Pid())
	fmt.Println("log:     ", o.LogPath)
	return nil
}

// printOperatorTail shows the end of the operator log, for when something failed.
func (d *demo) printOperatorTail(lines int) {
	tail := d.operator.Tail(lines)
	if tail == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "\n--- last %d lines of %s\n%s\n---\n", len(tail), d.operator.LogPath, strings.Join(tail, "\n"))
}

// kubectlShow runs kubectl visibly: the command line, then its output.
func (d *demo) kubectlShow(ctx context.Context, stdin string, args ...string) error {
	fmt.Printf("\n$ kubectl %s\n", shellJoin(args))
	cmd := d.kubectl.Command(ctx, stdin, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// plainWord is an argument a shell takes as it is.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./=:,@%+-]+$`)

// shellJoin quotes what a shell would otherwise mangle (jsonpath braces,
// brackets, quotes), so the reader can paste the printed command.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if !plainWord.MatchString(a) {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
