package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// Operator is the operator binary running as a child process.
type Operator struct {
	Bin        string
	Kubeconfig string
	LogPath    string   // its standard output and error
	Args       []string // its command-line flags

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid once done is closed
}

// StartOperator runs bin against the API server of kubeconfig, the way it
// runs in a cluster except for the kubeconfig: no metrics or health
// listeners, so it never collides with ports in use on the machine. extra
// flags come last and win.
func StartOperator(bin, kubeconfig, logPath string, extra ...string) (*Operator, error) {
	args := append([]string{"--metrics-bind-address=0", "--health-probe-bind-address=0"}, extra...)
	o := &Operator{Bin: bin, Kubeconfig: kubeconfig, LogPath: logPath, Args: args}
	if err := o.spawn(os.O_TRUNC); err != nil {
		return nil, err
	}
	return o, nil
}

// StartAgain starts a new process with the same binary, kubeconfig and
// flags, as a rolling update or a rescheduled pod would. The log is appended
// to, so one file tells the whole story (and a panic check covers every
// process). o must have exited: two operators without leader election would
// both act.
func (o *Operator) StartAgain() (*Operator, error) {
	if !o.Exited() {
		return nil, errors.New("harness: the operator is still running; Stop it first")
	}
	again := &Operator{Bin: o.Bin, Kubeconfig: o.Kubeconfig, LogPath: o.LogPath, Args: o.Args}
	if err := again.spawn(os.O_APPEND); err != nil {
		return nil, err
	}
	return again, nil
}

// spawn starts the process; mode is os.O_TRUNC or os.O_APPEND for the log.
func (o *Operator) spawn(mode int) error {
	log, err := os.OpenFile(o.LogPath, os.O_CREATE|os.O_WRONLY|mode, 0o644)
	if err != nil {
		return err
	}
	if mode == os.O_APPEND {
		_, _ = fmt.Fprintf(log, "--- harness: operator started again at %s\n", time.Now().Format(time.RFC3339Nano))
	}
	cmd := exec.Command(o.Bin, o.Args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+o.Kubeconfig)
	cmd.Stdout, cmd.Stderr = log, log
	// Own process group: a terminal's Ctrl-C reaches only the caller, which
	// then stops the operator in order. Pdeathsig: it dies with the caller.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := pgtest.StartChild(cmd); err != nil {
		_ = log.Close()
		return err
	}
	o.cmd, o.done = cmd, make(chan struct{})
	go func() {
		o.err = cmd.Wait()
		_ = log.Close()
		close(o.done)
	}()
	return nil
}

// Pid is the operator's process id.
func (o *Operator) Pid() int { return o.cmd.Process.Pid }

// Done is closed when the process has exited.
func (o *Operator) Done() <-chan struct{} { return o.done }

// Err is the exit status; valid once Done is closed.
func (o *Operator) Err() error { return o.err }

// Exited reports whether the process has ended.
func (o *Operator) Exited() bool {
	select {
	case <-o.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and, if the operator is not gone after grace, SIGKILL.
// It reports whether the kill was needed: a clean shutdown returns false.
func (o *Operator) Stop(grace time.Duration) (killed bool) {
	if o.Exited() {
		return false
	}
	_ = syscall.Kill(-o.Pid(), syscall.SIGTERM)
	select {
	case <-o.done:
		return false
	case <-time.After(grace):
		_ = syscall.Kill(-o.Pid(), syscall.SIGKILL)
		<-o.done
		return true
	}
}

// Guard returns a context that is cancelled when the operator exits, so a
// wait on the objects fails at once instead of running into its timeout.
func (o *Operator) Guard(parent context.Context) (context.Context, context.CancelFunc) {
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

// Log returns the whole log so far.
func (o *Operator) Log() (string, error) {
	data, err := os.ReadFile(o.LogPath)
	return string(data), err
}

// Tail returns the last n lines of the log, for when something failed.
func (o *Operator) Tail(n int) []string {
	data, err := o.Log()
	if err != nil {
		return nil
	}
	all := strings.Split(strings.TrimRight(data, "\n"), "\n")
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}
