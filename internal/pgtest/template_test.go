package pgtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// TestColdTemplateConcurrent starts servers in parallel against an empty
// template cache: exactly one template must result and every server work.
func TestColdTemplateConcurrent(t *testing.T) {
	tmp, err := os.MkdirTemp("", "pgtest-cold-")
	must(t, err)
	must(t, os.Chmod(tmp, 0o755)) // the server user must traverse it
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("PGTEST_TMPDIR", tmp)

	major := MajorsFromEnv()[len(MajorsFromEnv())-1]
	var wg sync.WaitGroup
	servers := make([]*Server, 3)
	errs := make([]error, 3)
	for i := range servers {
		wg.Go(func() {
			servers[i], errs[i] = StartPrimary(t.Context(), Options{Major: major, Name: "cold" + strconv.Itoa(i)})
		})
	}
	wg.Wait()
	for i, s := range servers {
		must(t, errs[i])
		must(t, s.Exec(t.Context(), `SELECT 1`))
		s.Cleanup()
	}
	entries, err := os.ReadDir(templatesRoot())
	must(t, err)
	if len(entries) != 1 {
		t.Errorf("template cache holds %d entries, want 1: %v", len(entries), entries)
	}
}

// TestFreshInitdb: template copies share a system identifier, fresh ones not.
func TestFreshInitdb(t *testing.T) {
	major := MajorsFromEnv()[0]
	a := StartPrimaryT(t, Options{Major: major, Name: "copy-a"})
	b := StartPrimaryT(t, Options{Major: major, Name: "copy-b"})
	c := StartPrimaryT(t, Options{Major: major, Name: "fresh", FreshInitdb: true})
	id := func(s *Server) int64 {
		return scalar[int64](t.Context(), t, s, `SELECT system_identifier FROM pg_control_system()`)
	}
	if id(a) != id(b) {
		t.Error("template copies have different system identifiers")
	}
	if id(a) == id(c) {
		t.Error("FreshInitdb server shares the template's system identifier")
	}
}

// TestSweepAbandoned removes directories of dead processes only.
func TestSweepAbandoned(t *testing.T) {
	dead := exec.Command("true")
	must(t, dead.Run())
	mk := func(pid int) string {
		dir, err := os.MkdirTemp(workRoot(), "pgtest-sweep-")
		must(t, err)
		t.Cleanup(func() { os.RemoveAll(dir) })
		must(t, os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)), 0o644))
		return dir
	}
	abandoned, alive := mk(dead.Process.Pid), mk(os.Getppid())
	sweepAbandoned()
	if _, err := os.Stat(abandoned); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("abandoned %s kept (%v)", abandoned, err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("live owner's %s removed: %v", alive, err)
	}
}

// TestUntraversableTempDir: as root, a directory the server user cannot reach
// must fail with a message naming the directory, not a bare EACCES.
func TestUntraversableTempDir(t *testing.T) {
	if !currentServerUser().switches() {
		t.Skip("servers run as the current user")
	}
	tmp, err := os.MkdirTemp("", "pgtest-closed-") // 0700
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("PGTEST_TMPDIR", tmp)
	_, err = StartPrimary(context.Background(), Options{Major: MajorsFromEnv()[0]})
	if err == nil {
		t.Fatal("StartPrimary succeeded under an untraversable PGTEST_TMPDIR")
	}
	t.Log(err)
}
