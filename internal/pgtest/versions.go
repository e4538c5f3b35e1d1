package pgtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const modulePath = "github.com/slotkeeper/slotkeeper"

var supportedMajors = []int{15, 16, 17, 18}

// Majors lists the supported majors: 15, 16, 17, 18.
func Majors() []int { return slices.Clone(supportedMajors) }

// MajorsFromEnv returns the majors named in PGTEST_MAJORS (e.g. "15,17"), or
// all of Majors() when it is unset. It panics on a malformed value: silently
// ignoring a typo would let a suite pass while testing nothing.
func MajorsFromEnv() []int {
	raw := strings.TrimSpace(os.Getenv("PGTEST_MAJORS"))
	if raw == "" {
		return Majors()
	}
	var out []int
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || !slices.Contains(supportedMajors, n) {
			panic(fmt.Sprintf("pgtest: PGTEST_MAJORS=%q: %q is not one of %v", raw, f, supportedMajors))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		panic(fmt.Sprintf("pgtest: PGTEST_MAJORS=%q names no major version", raw))
	}
	return out
}

// BinDir returns the bin directory holding initdb and postgres for a major
// version: <repo>/bin/pg/<major>/bin (installed by hack/install-postgres.sh),
// else the Debian location /usr/lib/postgresql/<major>/bin.
func BinDir(major int) (string, error) {
	var candidates []string
	root, rootErr := RepoRoot()
	if rootErr == nil {
		candidates = append(candidates, filepath.Join(root, "bin", "pg", strconv.Itoa(major), "bin"))
	}
	candidates = append(candidates, fmt.Sprintf("/usr/lib/postgresql/%d/bin", major))
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb")) {
			// bin/pg/<major> links to a cache the server user can reach
			// when the checkout itself is private (hack/install-postgres.sh):
			// the servers must be started by the real path.
			return filepath.EvalSymlinks(dir)
		}
	}
	msg := fmt.Sprintf("pgtest: PostgreSQL %d not found (looked in %s); install it with `make test` or hack/install-postgres.sh",
		major, strings.Join(candidates, ", "))
	if rootErr != nil {
		msg += " (" + rootErr.Error() + ")"
	}
	return "", errors.New(msg)
}

// RepoRoot returns $SLOTKEEPER_ROOT, or the nearest ancestor of the working
// directory whose go.mod declares this module.
func RepoRoot() (string, error) {
	if root := os.Getenv("SLOTKEEPER_ROOT"); root != "" {
		return filepath.Abs(root)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("pgtest: working directory: %w", err)
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pgtest: repository root not found above the working directory; set SLOTKEEPER_ROOT")
		}
		dir = parent
	}
}

func declaresModule(goMod string) bool {
	data, err := os.ReadFile(goMod)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == modulePath
		}
	}
	return false
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

var (
	versionRE    = regexp.MustCompile(`\d+(\.\d+)+`)
	versionCache sync.Map // bin dir -> string
)

// binaryVersion returns e.g. "16.14" for the postgres in binDir and checks it
// is the expected major. It keys the template cache, so upgrading a build in
// place never reuses a template made by the old one.
func binaryVersion(binDir string, major int) (string, error) {
	if v, ok := versionCache.Load(binDir); ok {
		return v.(string), nil
	}
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("pgtest: %s/postgres --version: %w", binDir, err)
	}
	v := versionRE.FindString(string(out))
	if !strings.HasPrefix(v, strconv.Itoa(major)+".") {
		return "", fmt.Errorf("pgtest: %s holds %q, not PostgreSQL %d", binDir, strings.TrimSpace(string(out)), major)
	}
	versionCache.Store(binDir, v)
	return v, nil
}
