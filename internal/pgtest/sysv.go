package pgtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A postmaster killed with SIGKILL (our last resort, or Pdeathsig when the
// test process dies) leaves its small System V segment behind; they add up
// against the kernel's segment limit on long-lived machines. The segment's
// key and id are on line 7 of postmaster.pid.

// releaseSysV removes the segment recorded in dataDir's postmaster.pid if
// /proc/sysvipc/shm still lists that key and id with nobody attached: the
// key is derived from the data directory, so a match is that server's.
func releaseSysV(dataDir string) {
	key, id, ok := pidFileShm(filepath.Join(dataDir, "postmaster.pid"))
	if !ok || !detachedSegment(key, id) {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_SHMCTL, uintptr(id), 0 /* IPC_RMID */, 0)
}

func pidFileShm(path string) (key int32, id int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 7 {
		return 0, 0, false
	}
	f := strings.Fields(lines[6])
	if len(f) != 2 {
		return 0, 0, false
	}
	k, err1 := strconv.ParseUint(f[0], 10, 32)
	i, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || i < 0 {
		return 0, 0, false
	}
	return int32(uint32(k)), i, true // /proc prints keys as signed ints
}

// detachedSegment reports whether /proc/sysvipc/shm lists key/id with
// nattch 0 (columns: key shmid perms size cpid lpid nattch ...).
func detachedSegment(key int32, id int) bool {
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Fields(sc.Text())
		if len(cols) < 7 || cols[0] != strconv.Itoa(int(key)) || cols[1] != strconv.Itoa(id) {
			continue
		}
		return cols[6] == "0"
	}
	return false
}
