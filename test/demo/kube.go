package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startKube starts kube-apiserver and etcd with the slotkeeper CRDs
// installed and writes a kubeconfig for an admin user, which kubectl and the
// operator both use.
func (d *demo) startKube(ctx context.Context) error {
	d.env = &envtest.Environment{
		BinaryAssetsDirectory: d.assets,
		CRDDirectoryPaths:     []string{filepath.Join(d.root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := d.env.Start(); err != nil {
		return err
	}
	d.onCleanup(func() {
		if err := d.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	})
	// system:masters: the demo plays cluster admin, like kind would.
	user, err := d.env.AddUser(envtest.User{Name: "demo", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	d.kubeconfig = filepath.Join(d.dir, "kubeconfig")
	if err := os.WriteFile(d.kubeconfig, kubeconfig, 0o600); err != nil {
		return err
	}
	fmt.Println("kube-apiserver:", d.env.Config.Host)
	fmt.Println("kubeconfig:    ", d.kubeconfig)
	return nil
}

// kubectlCmd prepares a kubectl run against the demo's API server.
func (d *demo) kubectlCmd(ctx context.Context, stdin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, d.kubectlBin, args...)
	// Appended last, so it wins over a KUBECONFIG of the reader's own shell.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+d.kubeconfig)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stderr = os.Stderr
	return cmd
}

// kubectl runs kubectl visibly: the command line, then its output.
func (d *demo) kubectl(ctx context.Context, stdin string, args ...string) error {
	fmt.Printf("\n$ kubectl %s\n", strings.Join(args, " "))
	cmd := d.kubectlCmd(ctx, stdin, args...)
	cmd.Stdout = os.Stdout
	return cmd.Run()
}

// kubectlOutput runs kubectl quietly and returns its standard output.
func (d *demo) kubectlOutput(ctx context.Context, args ...string) (string, error) {
	out, err := d.kubectlCmd(ctx, "", args...).Output()
	if err != nil {
		return "", fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}
