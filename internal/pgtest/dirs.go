package pgtest

import (
	"os"
	"path/filepath"
	"syscall"
)

const (
	tmpfsMagic  = 0x01021994
	shmDir      = "/dev/shm"
	shmMinAvail = 4 << 30 // leave plenty: PostgreSQL's own shared memory lives there too
)

// workRoot is where server and template directories are created:
// $PGTEST_TMPDIR if set, else /dev/shm when it is a roomy tmpfs, else the
// system temp directory. tmpfs matters: every server is a copy of ~1000
// files, and creating files on a disk filesystem under load takes over a
// millisecond each (a second per server) against microseconds in memory.
// Docker's default /dev/shm is 64 MB, hence the free-space check.
func workRoot() string {
	if dir := os.Getenv("PGTEST_TMPDIR"); dir != "" {
		return dir
	}
	var st syscall.Statfs_t
	if syscall.Statfs(shmDir, &st) == nil && int64(st.Type) == tmpfsMagic &&
		st.Bavail*uint64(st.Bsize) >= shmMinAvail && syscall.Access(shmDir, 2 /* W_OK */) == nil {
		return shmDir
	}
	return os.TempDir()
}

// templatesRoot is shared by every test process on the machine.
func templatesRoot() string {
	return filepath.Join(workRoot(), "slotkeeper-pgtest-templates")
}
