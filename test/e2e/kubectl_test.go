package e2e

import (
	"context"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// kubectl runs kubectl, expects success and returns its standard output.
func kubectl(args ...string) string {
	GinkgoHelper()
	return kubectlIn("", args...)
}

// kubectlIn is kubectl with a manifest on standard input.
func kubectlIn(stdin string, args ...string) string {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	out, _, err := kctl.Run(ctx, stdin, args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// kubectlRefused runs kubectl, expects it to fail and returns its standard
// error, where kubectl prints what the API server said.
func kubectlRefused(stdin string, args ...string) string {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	out, stderr, err := kctl.Run(ctx, stdin, args...)
	Expect(err).To(HaveOccurred(), "kubectl %s succeeded:\n%s", strings.Join(args, " "), out)
	return stderr
}

// jsonpath returns a poller of one field of one object, for Eventually.
func jsonpath(object, path string, extra ...string) func() (string, error) {
	return func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		args := append([]string{"get", object, "-o", "jsonpath=" + path}, extra...)
		return kctl.Output(ctx, args...)
	}
}

// readyReason is the jsonpath of the Ready condition's reason.
const readyReason = `{.status.conditions[?(@.type=="Ready")].reason}`

// headerColumn is one header cell: words separated by single spaces
// ("RESTART LSN"), as kubectl pads columns with at least three.
var headerColumn = regexp.MustCompile(`\S+(?: \S+)*`)

// table parses `kubectl get` output into rows keyed by header. Cells are cut
// at the header's column positions rather than split on spaces, because
// STATUS holds spaces and an unset column is blank.
func table(out string) []map[string]string {
	GinkgoHelper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	Expect(lines).NotTo(BeEmpty())
	header := lines[0]
	cols := headerColumn.FindAllStringIndex(header, -1)
	var rows []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, col := range cols {
			end := len(line)
			if i+1 < len(cols) {
				end = min(cols[i+1][0], len(line))
			}
			row[header[col[0]:col[1]]] = strings.TrimSpace(line[min(col[0], end):end])
		}
		rows = append(rows, row)
	}
	return rows
}

// byName indexes table rows by their NAME column.
func byName(rows []map[string]string) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, r := range rows {
		m[r["NAME"]] = r
	}
	return m
}

// pgSlot looks a slot up on the primary as superuser.
func pgSlot(name string) (harness.Slot, bool, error) {
	slots, err := harness.Slots(context.Background(), pg.Primary)
	for _, s := range slots {
		if s.Name == name {
			return s, true, err
		}
	}
	return harness.Slot{}, false, err
}

// slotExists is a poller for Eventually and Consistently.
func slotExists(name string) func() (bool, error) {
	return func() (bool, error) {
		_, ok, err := pgSlot(name)
		return ok, err
	}
}
