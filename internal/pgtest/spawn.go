package pgtest

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// Children are started from one goroutine locked to its OS thread for the
// life of the process. Linux sends Pdeathsig when the *thread* that forked
// the child exits, and the Go runtime may retire threads; a thread that never
// exits makes the signal mean exactly "the test process died", so a killed
// `go test` never leaves a postmaster behind.
type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce     sync.Once
	spawnRequests = make(chan spawnRequest)
)

func spawnLoop() {
	runtime.LockOSThread() // never unlocked: this thread must outlive every child
	for req := range spawnRequests {
		req.done <- req.cmd.Start()
	}
}

// StartChild starts cmd from the spawner thread, so a child with Pdeathsig
// dies exactly when this process does. Other test harnesses use it too.
func StartChild(cmd *exec.Cmd) error {
	spawnOnce.Do(func() { go spawnLoop() })
	req := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawnRequests <- req
	return <-req.done
}

// serverCommand builds a command that runs as the server user, in its own
// process group (so a terminal's Ctrl-C reaches only us and we shut servers
// down in order), and dies with us. ctx kills it; postmasters, which outlive
// the call starting them, get context.Background().
func serverCommand(ctx context.Context, dir, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: currentServerUser().cred,
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
	}
	return cmd
}

// childEnv drops PG* variables (PGDATA, PGPORT... would silently redirect
// initdb or postgres) and pins the C locale so every build behaves alike.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") ||
			strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}
