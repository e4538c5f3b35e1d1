package harness

import (
	"os/exec"
	"runtime"
	"sync"
)

// Linux sends Pdeathsig when the *thread* that forked the child exits, not
// the process, and the Go runtime may retire threads. Children are therefore
// started from one goroutine locked to its thread for the life of the
// process, so Pdeathsig means exactly "the caller died" (as in pgtest).
var (
	spawnOnce     sync.Once
	spawnRequests = make(chan spawnRequest)
)

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

func spawnLoop() {
	runtime.LockOSThread() // never unlocked: this thread must outlive every child
	for req := range spawnRequests {
		req.done <- req.cmd.Start()
	}
}

// startChild starts cmd from the spawner thread.
func startChild(cmd *exec.Cmd) error {
	spawnOnce.Do(func() { go spawnLoop() })
	req := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawnRequests <- req
	return <-req.done
}
