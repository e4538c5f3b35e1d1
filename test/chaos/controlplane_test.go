package chaos

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	// downAtLeast and downJitter: each outage lasts 5 to 10 s, longer than
	// client-go's first retries and the operator's 2 s poll interval, short
	// of anything that would make a real control plane page someone.
	downAtLeast = 5 * time.Second
	downJitter  = 5 * time.Second
	// declareBound bounds the patient declaration of one object: it spans
	// the outage and the API server's way back.
	declareBound = 3 * time.Minute
	// backBound bounds how long after the control plane is back one new
	// slot may take to be Ready: the operator must resume by itself. Most
	// of it is client-go's reflector, which re-watches after a back-off of
	// 0.8 s doubling up to 30 s, times [1, 2) of jitter, and resets it only
	// after 2 minutes without a failure: a second kube-apiserver restart
	// within 2 minutes can leave the informers blind for about a minute
	// after it is back, 64 s seen (tools/cache/reflector.go, defaultBackoff*).
	backBound = 2 * time.Minute
	// eventGoroutines is what each slot may add to the operator's
	// goroutines while the API server is unreachable: client-go's event
	// broadcaster keeps a goroutine per event it could not write yet,
	// retrying every 10 s, and repeats of an event only count in its
	// series (tools/events, recordToSink), so a creation's events (Created,
	// the Ready transition) hold at most 2 each until the API is back.
	eventGoroutines = 2
)

// The control-plane scenario: kube-apiserver, then etcd, goes down for a
// few seconds under the operator, once while a batch of slots is being
// created and once while everything is idle. Only the API is gone:
// PostgreSQL is untouched, so nothing may be lost or recreated, and the
// operator is expected to ride it out in the same process (no leader
// election in the suite, so no lease to lose).
var _ = Describe("control plane restarts", Label("controlplane"), func() {
	It("rides out a kube-apiserver restart, mid-creation and idle", func() {
		controlPlaneStory("apiserver", outageOf{"kube-apiserver", kube.StopAPIServer, kube.StartAPIServer})
	})
	It("rides out an etcd restart, mid-creation and idle", func() {
		controlPlaneStory("etcd", outageOf{"etcd", kube.StopEtcd, kube.StartEtcd})
	})
})

// outageOf is a control-plane component that can be stopped and started.
type outageOf struct {
	what        string
	stop, start func() error
}

// controlPlaneStory runs the rounds of mass creation across an outage, then
// an idle outage, with every invariant after each.
func controlPlaneStory(name string, o outageOf) {
	start := time.Now()
	s := newScenario(name)
	keepControlPlaneUp(o)
	op, pid := operator, operator.Pid()
	from := len(operatorLog(op))
	per := counts.ControlPlaneSlots / counts.ControlPlaneRounds
	for round := range counts.ControlPlaneRounds {
		s.outageMidCreation(o, fmt.Sprintf("r%d", round), per)
		expectSameOperator(op, pid)
		s.expectInvariants(nil, noSlotLost)
	}
	s.outageIdle(o)
	expectSameOperator(op, pid)
	s.expectInvariants(nil, noSlotLost)
	reportOutageLog(name, operatorLog(op)[from:])
	report(name+": control-plane scenario took", time.Since(start).Round(time.Second))
}

// keepControlPlaneUp starts the component again if the spec failed while
// it was down, so that the next scenarios have an API server.
func keepControlPlaneUp(o outageOf) {
	DeferCleanup(func() {
		if kube.WaitReady(5*time.Second) != nil {
			_ = o.start()
		}
	})
}

// outageMidCreation declares n slots in the background and takes the
// component down once a random number of them (1 to n-1) is declared: the
// operator is then creating the first ones, and the others are declared
// across the outage by a client that retries. It measures how long after
// the component's return every object is Ready.
func (s *scenario) outageMidCreation(o outageOf, tag string, n int) {
	GinkgoHelper()
	names, declared, done := s.declarePatiently(tag, n)
	at := 1 + rand.IntN(n-1)
	Eventually(declared).WithPolling(10 * time.Millisecond).Should(BeNumerically(">=", at))
	moment := s.moment(names, declared())
	sm := startSampler(s)
	back := s.outage(o)
	expectNoPileUpDuringOutage(fmt.Sprintf("%s: %s down mid-creation", s.name, o.what), sm.finish(), s.baseline, n)
	Eventually(done).WithTimeout(declareBound).Should(BeClosed())
	Eventually(s.readyCount).WithArguments(names).WithTimeout(convergeBound(n)).WithPolling(250*time.Millisecond).
		Should(Equal(n), "every slot Ready once %s is back", o.what)
	report(fmt.Sprintf("%s: %s stopped with %s; all %d Ready", s.name, o.what, moment, n), back.since())
}

// outageIdle takes the component down with every slot Ready and measures
// how soon after its return a new slot is Ready: the operator must act
// again by itself.
func (s *scenario) outageIdle(o outageOf) {
	GinkgoHelper()
	sm := startSampler(s)
	back := s.outage(o)
	expectNoPileUpDuringOutage(fmt.Sprintf("%s: %s down while idle", s.name, o.what), sm.finish(), s.baseline, 0)
	names := s.declare("after", 1)
	Eventually(s.readyCount).WithArguments(names).WithTimeout(backBound).WithPolling(250*time.Millisecond).
		Should(Equal(1), "a slot declared after %s came back", o.what)
	report(fmt.Sprintf("%s: %s stopped while idle; a new slot Ready", s.name, o.what), back.since())
}

// expectNoPileUpDuringOutage is expectNoPileUp with room for the events of
// the n slots being created during the outage, which wait in goroutines
// for the API server (eventGoroutines); sessions and connections have the
// same bounds as under any fault.
func expectNoPileUpDuringOutage(what string, p peaks, baseline, n int) {
	GinkgoHelper()
	expectPeaksWithin(what, p, baseline+2*goroutineMargin+eventGoroutines*n,
		fmt.Sprintf("operator goroutines piled up (beyond %d per slot for its unwritten events)", eventGoroutines))
}

// restartTimes are the moments of one outage.
type restartTimes struct {
	starting time.Time // the component was being started again
	ready    time.Time // the API server reported ready again
}

// since describes how long ago both moments were, for the report.
func (t restartTimes) since() string {
	return fmt.Sprintf("%v after the start was issued, %v after the API server was ready",
		time.Since(t.starting).Round(100*time.Millisecond), time.Since(t.ready).Round(100*time.Millisecond))
}

// outage stops the component, keeps it down for 5 to 10 s while checking
// that the operator stays up and PostgreSQL loses nothing, and starts it
// again. The down time counts from the stop command: both components stop
// listening at once, however long their graceful stop then takes.
func (s *scenario) outage(o outageOf) restartTimes {
	GinkgoHelper()
	down := downAtLeast + rand.N(downJitter)
	before, err := pgSlots(s.pg)
	Expect(err).NotTo(HaveOccurred())
	stopping := time.Now()
	Expect(o.stop()).To(Succeed(), "stopping %s", o.what)
	stopped := time.Now()
	// PostgreSQL is read directly: the API server is no witness now.
	Consistently(func() error { return s.keptWhileDown(before) }).
		WithTimeout(max(time.Until(stopping.Add(down)), time.Second)).WithPolling(500*time.Millisecond).
		Should(Succeed(), "while %s is down", o.what)
	t := restartTimes{starting: time.Now()}
	Expect(o.start()).To(Succeed(), "starting %s", o.what)
	t.ready = time.Now()
	report(fmt.Sprintf("%s: %s: stop took, start issued after, ready after the start; API unavailable for about", s.name, o.what),
		fmt.Sprintf("%v, %v, %v; %v", stopped.Sub(stopping).Round(100*time.Millisecond),
			t.starting.Sub(stopping).Round(100*time.Millisecond), t.ready.Sub(t.starting).Round(100*time.Millisecond),
			t.ready.Sub(stopping).Round(100*time.Millisecond)))
	return t
}

// keptWhileDown fails when the operator exited or a slot of the scenario
// that existed before the outage (canaries included) is gone.
func (s *scenario) keptWhileDown(before map[string]harness.Slot) error {
	if operator.Exited() {
		return fmt.Errorf("the operator exited: %v", operator.Err())
	}
	now, err := pgSlots(s.pg)
	if err != nil {
		return err
	}
	for name := range before {
		if _, ok := now[name]; strings.HasPrefix(name, s.prefix()) && !ok {
			return fmt.Errorf("slot %s was dropped during the outage", name)
		}
	}
	return nil
}

// moment describes the outage's start for the report: how many objects
// were declared and how many of their slots existed.
func (s *scenario) moment(names []string, declared int) string {
	created, _ := s.createdCount(names)
	return fmt.Sprintf("%d/%d declared, %d created", declared, len(names), created)
}

// declarePatiently declares n slots in the background, like a CI job
// whose apply retries: each create is repeated until the API server takes
// it, and an AlreadyExists means an earlier attempt was committed although
// its answer got lost in the outage. declared counts the objects the API
// server has taken so far.
func (s *scenario) declarePatiently(tag string, n int) (names []string, declared func() int, done <-chan struct{}) {
	names = make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s-%s-%03d", s.name, tag, i)
	}
	var count atomic.Int32
	closed := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(closed)
		for i, name := range names {
			obj := s.slotObject(name, slotType(i))
			Eventually(func() error { return createOnce(obj) }).WithTimeout(declareBound).
				WithPolling(250*time.Millisecond).Should(Succeed(), "declaring %s", name)
			count.Add(1)
		}
	}()
	return names, func() int { return int(count.Load()) }, closed
}

// createOnce is one bounded attempt; obj is copied, so a failed attempt
// leaves nothing behind in it.
func createOnce(obj client.Object) error {
	ctx, cancel := ctxFor(10 * time.Second)
	defer cancel()
	err := k8s.Create(ctx, obj.DeepCopyObject().(client.Object))
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// expectSameOperator: the operator rode the outage out in its own process;
// nothing restarted it, and it did not exit on its own.
func expectSameOperator(op *harness.Operator, pid int) {
	GinkgoHelper()
	Expect(op.Exited()).To(BeFalse(), "the operator exited during the outage: %v", op.Err())
	Expect(operator).To(BeIdenticalTo(op), "the suite's operator was replaced")
	Expect(op.Pid()).To(Equal(pid))
}

// reportOutageLog reports what the operator logged during the story: how
// many reconciles failed, and the kinds of errors, for the reader who wants
// to know how the operator lived the outage.
func reportOutageLog(name, log string) {
	GinkgoHelper()
	Expect(linesMatching(log, panicLine)).To(BeEmpty(), "the operator log mentions a panic")
	kinds, errs, reconcileErrs := map[string]int{}, 0, 0
	for _, line := range strings.Split(log, "\n") {
		var entry struct{ Level, Msg, Error string }
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Level != "error" {
			continue
		}
		errs++
		if entry.Msg == "Reconciler error" {
			reconcileErrs++
		}
		kinds[entry.Msg+": "+errorKind(entry.Error)]++
	}
	report(name+": operator error lines during the story, of which Reconciler error", fmt.Sprintf("%d, %d", errs, reconcileErrs))
	report(name+": operator error kinds (count)", topKinds(kinds, 10))
}

// requestURL is a client-go error's method and URL, which name the object.
var requestURL = regexp.MustCompile(`^(Get|Put|Patch|Post|Delete) "[^"]*": `)

// errorKind strips what varies (the URL, hence the object) from an error.
func errorKind(err string) string {
	err = requestURL.ReplaceAllString(err, "$1 <url>: ")
	if len(err) > 110 {
		err = err[:110] + "..."
	}
	return err
}

// topKinds lists the n most frequent kinds, one a line.
func topKinds(kinds map[string]int, n int) string {
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return kinds[keys[i]] > kinds[keys[j]] })
	if len(keys) > n {
		keys = keys[:n]
	}
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %4d  %s", kinds[k], k)
	}
	return b.String()
}
