package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	readyTimeout = 30 * time.Second
	pollInterval = 50 * time.Millisecond
	stopTimeout  = 60 * time.Second // a fast shutdown waits for a checkpoint
	crashTimeout = 15 * time.Second // the postmaster SIGKILLs children after 5 s
)

// process is a postmaster we started; done closes once it has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit status, valid after done
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// launch starts postgres with its output appended to the log file.
func (s *Server) launch() (*process, error) {
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := serverCommand(context.Background(), s.baseDir, filepath.Join(s.binDir, "postgres"), "-D", s.DataDir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := StartChild(cmd); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// start writes the settings file, starts the postmaster and waits until it
// accepts connections. newPort allows moving to another free port when ours
// was taken between freePort and the bind (only before anyone knows it).
func (s *Server) start(ctx context.Context, newPort bool) error {
	for attempt := 1; ; attempt++ {
		p, logStart, err := s.launchLocked()
		if err != nil || p == nil {
			return err
		}
		err = s.waitReady(ctx, p)
		if err == nil {
			return nil
		}
		_ = s.halt(p, syscall.SIGQUIT, crashTimeout) // leave nothing half-started
		s.forget(p)
		inUse := strings.Contains(s.logSince(logStart), "Address already in use")
		if !newPort || !inUse || attempt == 3 {
			return s.errorf("start: %w", err)
		}
		port, perr := freePort()
		if perr != nil {
			return s.errorf("start: %w", perr)
		}
		s.mu.Lock()
		s.Port = port
		s.mu.Unlock()
	}
}

// launchLocked starts the postmaster unless it runs already (p == nil).
func (s *Server) launchLocked() (p *process, logStart int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cleaned {
		return nil, 0, fmt.Errorf("pgtest: %s: start after Cleanup", s.name)
	}
	if s.proc != nil && !s.proc.exited() {
		return nil, 0, nil
	}
	if err := s.writeConf(); err != nil {
		return nil, 0, s.errorf("writing %s: %w", confFile, err)
	}
	logStart = s.logSize()
	p, err = s.launch()
	if err != nil {
		return nil, 0, s.errorf("starting postgres: %w", err)
	}
	s.proc = p
	return p, logStart, nil
}

// waitReady polls with real connections, as clients will use the server;
// it gives up at once when the postmaster exits.
func (s *Server) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var lastErr error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := s.Connect(attempt, "postgres")
		cancelAttempt()
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		lastErr = err
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited (%v)", p.err)
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w (last error: %v)", ctx.Err(), lastErr)
		case <-time.After(pollInterval):
		}
	}
}

// Running reports whether the postmaster is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// Start starts a stopped server again on the same port and data directory.
// It is a no-op if the server is running.
func (s *Server) Start(ctx context.Context) error { return s.start(ctx, false) }

// Stop shuts the server down cleanly (fast mode: SIGINT). Idempotent.
func (s *Server) Stop() error { return s.stopWith(syscall.SIGINT, stopTimeout) }

// Crash stops the server in immediate mode (SIGQUIT), so the next start runs
// crash recovery. Idempotent.
func (s *Server) Crash() error { return s.stopWith(syscall.SIGQUIT, crashTimeout) }

func (s *Server) stopWith(sig syscall.Signal, timeout time.Duration) error {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	err := s.halt(p, sig, timeout)
	s.forget(p)
	return err
}

// forget clears p as the running process unless a newer one replaced it.
func (s *Server) forget(p *process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == p {
		s.proc = nil
	}
}

// halt sends sig and waits for the postmaster to exit, escalating to SIGKILL
// after timeout so that nothing outlives a call to it.
func (s *Server) halt(p *process, sig syscall.Signal, timeout time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
		return s.errorf("postgres ignored %v for %v and was killed", sig, timeout)
	case <-time.After(10 * time.Second):
		return s.errorf("postgres (pid %d) survived SIGKILL", p.cmd.Process.Pid)
	}
}

// freePort asks the kernel for a free port this process has not used
// before (ports.go). Another process may take it before postgres binds it;
// start retries on another port if so.
func freePort() (int, error) {
	l, err := listenFresh()
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
