package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// pluginGoldenDir holds the plugin's expected output, normalised.
const pluginGoldenDir = "testdata/plugin"

// normalisers replace what changes from run to run: times, ages, LSNs,
// sizes, pids and counts of slots other specs may leave on the shared
// primary. Order matters: timestamps before ages, LSNs before sizes.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "<time>"},
	{regexp.MustCompile(`\b[0-9A-F]{1,8}/[0-9A-F]{3,8}\b`), "<lsn>"},
	{regexp.MustCompile(`\b\d+(\.\d)?[KMGTPE]iB\b|\b\d+B\b`), "<size>"},
	{regexp.MustCompile(`\b\d+% of\b`), "<n>% of"},
	{regexp.MustCompile(`\b\d+[smhdy](\d+[smh])?\b`), "<age>"},
	{regexp.MustCompile(`\bpid \d+\b`), "pid <pid>"},
	{regexp.MustCompile(`\b\d+ unmanaged\b`), "<n> unmanaged"},
	{regexp.MustCompile(`\b\d+ inactive unmanaged slots\b`), "<n> inactive unmanaged slots"},
	{regexp.MustCompile(`\b[Tt]imeline \d+\b`), "timeline <n>"},
}

// normalise makes output comparable: the servers' random ports become
// names, unstable values placeholders, and runs of spaces one space, since
// column widths follow the values that were replaced.
func normalise(out string) string {
	out = strings.ReplaceAll(out, pg.Primary.Addr(), "<primary>")
	out = strings.ReplaceAll(out, pg.Standby.Addr(), "<standby>")
	for _, n := range normalisers {
		out = n.re.ReplaceAllString(out, n.with)
	}
	spaces := regexp.MustCompile(` {2,}`)
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(spaces.ReplaceAllString(l, " "), " ")
	}
	return strings.Join(lines, "\n")
}

// expectGolden compares normalised output with testdata/plugin/name;
// UPDATE_GOLDEN=1 rewrites the file instead, for a reviewed change.
func expectGolden(name, out string) {
	GinkgoHelper()
	got := normalise(out)
	path := filepath.Join(pluginGoldenDir, name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		Expect(os.MkdirAll(pluginGoldenDir, 0o755)).To(Succeed())
		Expect(os.WriteFile(path, []byte(got), 0o644)).To(Succeed())
	}
	want, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "no golden file; run with UPDATE_GOLDEN=1 and review it")
	Expect(got).To(Equal(string(want)), "output of %s differs from the golden file: %s (raw output:\n%s)",
		name, firstDifference(got, string(want)), out)
}

// firstDifference names the first line where got and want differ, both
// normalised, so that a failure says what changed in its first line.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is %q, the golden file has %q", i+1, gl, wl)
		}
	}
	return "no line differs"
}
