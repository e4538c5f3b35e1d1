package chaos

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// kill9 SIGKILLs the operator's process group, as the kubelet does to a
// container that does not stop or an OOM kill does, and waits until it is
// gone. Nothing in the operator runs on the way out.
func kill9(o *harness.Operator) {
	GinkgoHelper()
	Expect(syscall.Kill(-o.Pid(), syscall.SIGKILL)).To(Succeed())
	Eventually(o.Done()).WithTimeout(10 * time.Second).Should(BeClosed())
}

// restart starts the operator again after it exited (same binary, flags,
// kubeconfig and metrics port; the log is appended to).
func restart(o *harness.Operator) *harness.Operator {
	GinkgoHelper()
	again, err := o.StartAgain()
	Expect(err).NotTo(HaveOccurred())
	return again
}

// killAndRestart is one round of scenario 1: SIGKILL, then a new process.
func killAndRestart() {
	GinkgoHelper()
	kill9(operator)
	operator = restart(operator)
}

// goroutines scrapes go_goroutines from the operator's /metrics;
// controller-runtime registers the Go collector in its registry.
func goroutines() (int, error) {
	return goroutinesAt(metricsURL)
}

func goroutinesAt(url string) (int, error) {
	v, err := scrapeGauge(url, "go_goroutines")
	return int(v), err
}

// goroutineStacks fetches the operator's goroutines grouped by stack
// (pprof's debug=1 text); empty when the endpoint cannot be read.
func goroutineStacks(metrics string) string {
	base, ok := pprofOf[metrics]
	if !ok {
		return ""
	}
	body, _ := fetch(base + "/goroutine?debug=1")
	return string(body)
}

// scrapeGauge reads one unlabelled sample from a Prometheus text endpoint.
func scrapeGauge(url, name string) (float64, error) {
	body, err := fetch(url)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("%s: no sample of %s", url, name)
}

// fetch GETs a text endpoint of the operator (metrics, pprof), bounded to
// 5 s, and returns its body.
func fetch(url string) ([]byte, error) {
	ctx, cancel := ctxFor(5 * time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	return io.ReadAll(resp.Body)
}

// panicLine catches Go's "panic:" and controller-runtime's "Observed a panic".
var panicLine = regexp.MustCompile(`(?i)panic`)

// duplicateObject is PostgreSQL's duplicate_object (42710): a creation of a
// slot that already existed, i.e. two creators of one slot.
var duplicateObject = regexp.MustCompile(`42710|already exists|SlotExists`)

func linesMatching(text string, re *regexp.Regexp) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if re.MatchString(line) {
			out = append(out, line)
		}
	}
	return out
}

// operatorLog is the whole log of every process of o (restarts append).
func operatorLog(o *harness.Operator) string {
	GinkgoHelper()
	log, err := o.Log()
	Expect(err).NotTo(HaveOccurred())
	return log
}

func expectNoPanics() {
	GinkgoHelper()
	Expect(linesMatching(operatorLog(operator), panicLine)).To(BeEmpty(), "the operator log mentions a panic")
}
