package pgtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cleanup stops the server (immediate mode, then SIGKILL) and removes all
// its directories. It is idempotent and safe after any failure, including a
// half-created server.
func (s *Server) Cleanup() {
	s.mu.Lock()
	if s.cleaned {
		s.mu.Unlock()
		return
	}
	s.cleaned = true // from now on start refuses, so nothing new can appear
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		_ = s.halt(p, syscall.SIGQUIT, crashTimeout)
		s.forget(p)
	}
	killStalePostmaster(s.DataDir)
	releaseSysV(s.DataDir)
	removeAllRetry(s.baseDir)
	unregister(s)
}

// killStalePostmaster is the fallback for a postmaster we did not start or
// lost track of: it SIGKILLs the pid in postmaster.pid if that process is a
// postgres serving this data directory.
func killStalePostmaster(dataDir string) {
	data, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 || !servesDataDir(pid, dataDir) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if !servesDataDir(pid, dataDir) {
			return
		}
		time.Sleep(pollInterval)
	}
}

// servesDataDir reports whether pid is alive and was started with dataDir
// among its arguments (we always pass -D), guarding against pid reuse.
func servesDataDir(pid int, dataDir string) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err == nil && isZombie(stat) {
		return false
	}
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		if string(arg) == dataDir {
			return true
		}
	}
	return false
}

// isZombie parses the state field of /proc/PID/stat ("pid (comm) S ...").
func isZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// PostmasterPIDs returns the pids of live processes started with dataDir as
// an argument, i.e. postmasters serving it. Tests use it to prove cleanup.
func PostmasterPIDs(dataDir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && servesDataDir(pid, dataDir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// removeAllRetry retries because backends of a killed postmaster may still
// be exiting and writing files for a moment.
func removeAllRetry(dir string) {
	for i := 0; i < 50; i++ {
		if err := os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
