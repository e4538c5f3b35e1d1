package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ownerFile marks a server's base directory with the pid of the process that
// created it, so that directories left by a killed test process (its
// postmasters die with it, see spawn.go) can be recognised and removed.
const ownerFile = "pgtest.owner"

var sweepOnce sync.Once

func writeOwner(base string) error {
	return os.WriteFile(filepath.Join(base, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// sweepAbandoned removes base directories whose creating process is gone
// and whose postmaster is not running. It runs once per process; any doubt
// (unreadable marker, live pid, even a reused one) keeps the directory.
func sweepAbandoned() {
	for _, base := range abandonedBases("pgtest-*") {
		dataDir := filepath.Join(base, "data")
		if len(PostmasterPIDs(dataDir)) > 0 {
			continue
		}
		releaseSysV(dataDir)
		_ = os.RemoveAll(base)
	}
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// abandonedBases lists the base directories matching pattern under
// workRoot() whose creating process is surely gone: any doubt (unreadable
// marker, live pid, even a reused one) keeps a directory off the list.
func abandonedBases(pattern string) []string {
	matches, _ := filepath.Glob(filepath.Join(workRoot(), pattern))
	var out []string
	for _, base := range matches {
		data, err := os.ReadFile(filepath.Join(base, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 || pid == os.Getpid() || processExists(pid) {
			continue
		}
		out = append(out, base)
	}
	return out
}
