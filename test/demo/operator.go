package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// operator is the running bin/manager process.
type operator struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, valid once done is closed
}

// startOperator runs the operator binary against the demo API server, the
// way it runs in a cluster except for the kubeconfig: no metrics or health
// listeners, so the demo never collides with ports in use on the machine.
func (d *demo) startOperator(ctx context.Context) error {
	logPath := filepath.Join(d.dir, "operator.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(d.managerBin, "--metrics-bind-address=0", "--health-probe-bind-address=0")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+d.kubeconfig)
	cmd.Stdout, cmd.Stderr = log, log
	// Own process group: a terminal's Ctrl-C reaches the demo, which then
	// stops the operator in order. Pdeathsig: it dies with a killed demo.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return err
	}
	o := &operator{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		o.err = cmd.Wait()
		_ = log.Close()
		close(o.done)
	}()
	d.operator = o
	d.onCleanup(o.stop)
	fmt.Printf("operator: %s (pid %d)\n", d.managerBin, cmd.Process.Pid)
	fmt.Println("log:     ", logPath)
	return nil
}

// stop asks the operator to shut down and kills it if it takes too long.
func (o *operator) stop() {
	if o.exited() {
		return
	}
	_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGKILL)
		<-o.done
	}
}

func (o *operator) exited() bool {
	select {
	case <-o.done:
		return true
	default:
		return false
	}
}

// guard returns a context that is cancelled when the operator exits, so a
// wait on the objects fails at once instead of running into its timeout.
func (o *operator) guard(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-o.done:
			cancel(fmt.Errorf("the operator exited: %v", o.err))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// printTail shows the end of the operator log, for when something failed.
func (o *operator) printTail(lines int) {
	data, err := os.ReadFile(o.logPath)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	fmt.Fprintf(os.Stderr, "\n--- last %d lines of %s\n%s\n---\n", len(all), o.logPath, strings.Join(all, "\n"))
}
