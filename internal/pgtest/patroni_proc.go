package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	patroniStopTimeout = 20 * time.Second // SIGTERM makes Patroni stop PostgreSQL first
	patroniKillTimeout = 10 * time.Second
)

// procMu guards every patroniNode.proc; starts and kills are rare.
var procMu sync.Mutex

// start launches the node's process (Patroni or the raft controller) as the
// server user, with its output appended to its log. A no-op if it runs.
func (n *patroniNode) start() error {
	procMu.Lock()
	defer procMu.Unlock()
	if n.proc != nil && !n.proc.exited() {
		return nil
	}
	logf, err := os.OpenFile(n.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child keeps its own descriptor
	if fi, err := logf.Stat(); err == nil {
		n.startOffset = fi.Size()
	}
	cmd := serverCommand(context.Background(), n.dir, n.bin, n.configPath)
	cmd.Env = patroniEnv(n.dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := StartChild(cmd); err != nil {
		return fmt.Errorf("pgtest: starting %s for %s: %w", n.bin, n.member.Name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	n.proc = p
	return nil
}

// patroniEnv is childEnv without PATRONI_* variables (they override the
// configuration file), with HOME and TMPDIR the server user can write
// (Patroni writes initdb's password file to TMPDIR), and without bytecode
// caches written next to the system's Python modules.
func patroniEnv(dir string) []string {
	var env []string
	for _, kv := range childEnv() {
		if strings.HasPrefix(kv, "PATRONI_") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "TMPDIR=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir, "TMPDIR="+dir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
}

// signal sends sig to the node's process and waits up to timeout for it to
// exit, then SIGKILLs it. It returns whether the process exited within the
// timeout (true also when it was not running).
func (n *patroniNode) signal(sig syscall.Signal, timeout time.Duration) (bool, error) {
	procMu.Lock()
	p := n.proc
	procMu.Unlock()
	if p == nil || p.exited() {
		return true, nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return true, nil
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
		return false, nil
	case <-time.After(patroniKillTimeout):
		return false, fmt.Errorf("pgtest: %s (pid %d) survived SIGKILL", n.member.Name, p.cmd.Process.Pid)
	}
}

// running reports whether the node's process is alive.
func (n *patroniNode) running() bool {
	procMu.Lock()
	defer procMu.Unlock()
	return n.proc != nil && !n.proc.exited()
}

// KillPatroni SIGKILLs the member's Patroni only: its PostgreSQL keeps
// running (Patroni started it in a session of its own), and the leader key
// stays in the DCS until its TTL runs out. It first waits for a healthy
// Raft (see WaitRaft).
func (c *PatroniCluster) KillPatroni(ctx context.Context, member string) error {
	n, err := c.node(member)
	if err != nil {
		return err
	}
	if err := c.WaitRaft(ctx); err != nil {
		return err
	}
	_, err = n.signal(syscall.SIGKILL, patroniKillTimeout)
	return err
}

// StopPatroni stops the member's Patroni as its service manager would
// (SIGTERM): unless the cluster is paused, Patroni stops PostgreSQL too and
// a leader hands its key over. It first waits for a healthy Raft.
func (c *PatroniCluster) StopPatroni(ctx context.Context, member string) error {
	n, err := c.node(member)
	if err != nil {
		return err
	}
	if err := c.WaitRaft(ctx); err != nil {
		return err
	}
	clean, err := n.signal(syscall.SIGTERM, patroniStopTimeout)
	if err == nil && !clean {
		err = fmt.Errorf("pgtest: Patroni of %s ignored SIGTERM for %v and was killed", member, patroniStopTimeout)
	}
	return err
}

// StartPatroni starts the member's Patroni again (after KillPatroni or
// StopPatroni) and waits until its REST API answers, its Raft node has
// caught up, and it has run a whole HA loop: what a Patroni does at start
// (such as dropping unknown slots) is done when this returns. Patroni adopts
// a PostgreSQL that still runs, or starts it.
func (c *PatroniCluster) StartPatroni(ctx context.Context, member string) error {
	n, err := c.node(member)
	if err != nil {
		return err
	}
	if err := n.start(); err != nil {
		return err
	}
	if err := c.waitREST(ctx, n); err != nil {
		return err
	}
	if err := c.WaitRaft(ctx); err != nil {
		return err
	}
	return c.RunLoops(ctx, member, 1)
}

// PatroniRunning reports whether the member's Patroni process is alive.
func (c *PatroniCluster) PatroniRunning(member string) bool {
	n, err := c.node(member)
	return err == nil && n.running()
}

// Stop stops every process the cluster started: each Patroni (SIGTERM,
// SIGKILL after a bound), the postmasters found through postmaster.pid (a
// killed or paused Patroni leaves them running), then the witness last so
// that Raft keeps its quorum while the members leave; and removes the
// directory, keeping the tails of the logs for Logs. Idempotent.
func (c *PatroniCluster) Stop() {
	c.stopOnce.Do(func() {
		c.stopWatchdog()
		var wg sync.WaitGroup
		for _, m := range c.members {
			wg.Go(func() {
				_, _ = m.signal(syscall.SIGTERM, patroniStopTimeout)
				killStalePostmaster(m.member.DataDir)
				releaseSysV(m.member.DataDir)
			})
		}
		wg.Wait()
		if c.witness != nil {
			_, _ = c.witness.signal(syscall.SIGTERM, patroniKillTimeout)
		}
		logs := c.Logs() // a failed test prints them after Stop
		c.finalLogs.Store(&logs)
		removeAllRetry(c.baseDir)
		unregisterPatroni(c)
	})
}

// PostmasterPID returns the pid of the member's running postmaster, or 0.
// It reads postmaster.pid: scanning /proc would also find Patroni's pg_ctl
// calls, which name the data directory too.
func (c *PatroniCluster) PostmasterPID(member string) int {
	m, err := c.Member(member)
	if err != nil {
		return 0
	}
	data, err := os.ReadFile(filepath.Join(m.DataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !servesDataDir(pid, m.DataDir) {
		return 0
	}
	return pid
}

// freePorts finds n distinct free ports, holding each until all are found
// so that the kernel cannot hand out one twice.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := listenFresh()
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
