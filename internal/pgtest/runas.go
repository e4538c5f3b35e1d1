package pgtest

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// serverUser is who initdb and postgres run as.
type serverUser struct {
	uid, gid int
	// cred is nil when the servers run as the current user.
	cred *syscall.Credential
}

// currentServerUser is nobody when running as root, because PostgreSQL
// refuses to run as root; otherwise the current user.
var currentServerUser = sync.OnceValue(func() serverUser {
	if os.Geteuid() != 0 {
		return serverUser{uid: os.Geteuid(), gid: os.Getegid()}
	}
	uid, gid := 65534, 65534
	if u, err := user.Lookup("nobody"); err == nil {
		if n, err := strconv.Atoi(u.Uid); err == nil {
			uid = n
		}
		if n, err := strconv.Atoi(u.Gid); err == nil {
			gid = n
		}
	}
	return serverUser{uid: uid, gid: gid, cred: &syscall.Credential{
		Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{},
	}}
})

// switches reports whether servers run as a different user, which makes
// ownership and directory traversal matter.
func (u serverUser) switches() bool { return u.cred != nil }

// chown hands path to the server user; a no-op when no switch happens.
func (u serverUser) chown(path string) error {
	if !u.switches() {
		return nil
	}
	return os.Lchown(path, u.uid, u.gid)
}

// chownTree hands a whole directory tree to the server user.
func (u serverUser) chownTree(root string) error {
	if !u.switches() {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, u.uid, u.gid)
	})
}

// checkTraversable fails with a clear message when the server user could not
// reach dir (e.g. TMPDIR or the repository under a 0700 home directory):
// otherwise postgres would die with a bare "permission denied".
func (u serverUser) checkTraversable(dir string) error {
	if !u.switches() {
		return nil
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgtest: %s is not traversable by uid %d (mode %v); servers run as that user because PostgreSQL refuses root",
				d, u.uid, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// makeServerDir creates dir (0755 so the server user can traverse it) owned
// by the server user.
func (u serverUser) makeServerDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	return u.chown(dir)
}
