// Command demo shows slotkeeper working end to end on one machine, with no
// cluster: kube-apiserver and etcd from envtest, a PostgreSQL 17 primary with
// a streaming standby, and the operator binary, then the samples of
// config/samples applied with kubectl next to a failover slot, a real
// consumer on each logical slot, and finally a failover under load: the
// primary crashes, the standby is promoted, the failover slot's consumer
// resumes with every row while the plain slot comes back with its data gap. `make demo`
// builds what it needs and runs it; DEMO_EXIT=1 makes it stop after the
// failover (CI, smoke test) instead of waiting for Ctrl-C. The pieces come
// from test/harness, which the end-to-end suite uses too.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// demo holds everything the demo started, so cleanup can undo it.
type demo struct {
	paths harness.Paths
	dir   string // temporary directory: kubeconfig, operator log

	kube     *harness.Kube
	kubectl  harness.Kubectl
	pg       *harness.Postgres
	operator *harness.Operator
	cons     *consumers

	cleanups []func()
}

func main() {
	// envtest logs through controller-runtime; without a logger it complains.
	logf.SetLogger(logr.Discard())
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := newDemo()
	if err != nil {
		return err
	}
	// Cleanup runs on every path out of here, including Ctrl-C mid-setup.
	defer d.cleanup()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"start kube-apiserver and etcd (envtest)", d.startKube},
		{"start PostgreSQL 17: a primary, and a standby that keeps failover slots in sync", d.startPostgres},
		{"start the operator", d.startOperator},
		{"apply config/samples and a failover slot", d.applySamples},
		{"wait for the objects to become Ready", d.waitReady},
		{"show the result", d.show},
		{"start a consumer on each logical slot, and a writer", d.startConsumers},
		{"wait until a failover would lose nothing (FailoverReady)", d.waitFailoverReady},
		{"failover: crash the primary, promote the standby", d.failover},
		{"count what each consumer received", d.countRows},
	}
	for _, s := range steps {
		fmt.Printf("\n== %s\n", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return d.waitForExit(ctx, stop)
}

func newDemo() (*demo, error) {
	paths, err := harness.DefaultPaths()
	if err != nil {
		return nil, err
	}
	// Fail before starting anything slow when a binary is missing.
	if err := paths.Check(); err != nil {
		return nil, fmt.Errorf("%w (run make tools build, or make demo)", err)
	}
	d := &demo{paths: paths}
	if d.dir, err = os.MkdirTemp("", "slotkeeper-demo-"); err != nil {
		return nil, err
	}
	d.onCleanup(func() { _ = os.RemoveAll(d.dir) })
	return d, nil
}

// onCleanup registers f to run at exit, after everything registered later.
func (d *demo) onCleanup(f func()) { d.cleanups = append(d.cleanups, f) }

// cleanup undoes the setup in reverse: the operator goes first so it does
// not log a storm of connection errors while PostgreSQL and the API server stop.
func (d *demo) cleanup() {
	fmt.Println("\n== cleaning up")
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
}

// waitForExit keeps everything running for the reader until Ctrl-C or
// SIGTERM, unless DEMO_EXIT=1. An operator that dies meanwhile ends the demo.
func (d *demo) waitForExit(ctx context.Context, stop context.CancelFunc) error {
	if os.Getenv("DEMO_EXIT") == "1" {
		fmt.Println("\nDEMO_EXIT=1: stopping.")
		return nil
	}
	fmt.Println("\nRunning. Press Ctrl-C to stop and clean up.")
	select {
	case <-ctx.Done():
		// A second Ctrl-C now kills the demo at once, should cleanup hang.
		stop()
		return nil
	case <-d.operator.Done():
		d.printOperatorTail(40)
		return errors.New("the operator exited")
	}
}
