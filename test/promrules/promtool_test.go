package promrules_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// promtool returns the promtool binary named by $PROMTOOL. It skips only
// under -short; otherwise a missing PROMTOOL fails, so that a run without
// promtool never passes as if the rules had been checked.
func promtool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: promtool checks skipped")
	}
	path := os.Getenv("PROMTOOL")
	if path == "" {
		t.Fatal("PROMTOOL is not set: run bash hack/install-promtool.sh and set " +
			"PROMTOOL to the path it prints (or run go test -short to skip promtool checks)")
	}
	return path
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("promtool %v:\n%s", args, out)
	if err != nil {
		t.Fatalf("promtool %v: %v", args, err)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool(t)
	runPromtool(t, workDir(t), "check", "rules", "--lint=all", "--lint-fatal", extractedName)
}

func TestPromtoolTestRules(t *testing.T) {
	promtool(t)
	runPromtool(t, workDir(t), "test", "rules", filepath.Base(testsPath))
}
