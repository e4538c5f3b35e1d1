package chaos

import (
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The invariants every scenario ends with. Bounds are generous: the
// machine has 2 cores shared with other runs, and a bound is a ceiling for
// "never converges", never a performance target.
const (
	// convergeBase plus convergePerSlot per declared slot bounds how long
	// statuses may take to tell the truth after the fault ended.
	convergeBase    = 90 * time.Second
	convergePerSlot = 500 * time.Millisecond
	// maintenanceConns is what one member may hold in the maintenance
	// database: a pool of at most 2 plus the monitor's idle connection that
	// notices a primary going away (docs/operations.md, Connections).
	maintenanceConns = 3
	// databaseConns is the bound per database in which logical slots are
	// created (the creator's pool; at most 2 connections).
	databaseConns = 2
	// goroutineMargin is how far above the baseline the goroutine count may
	// settle: pools and connections come and go with the polls.
	goroutineMargin = 20
	// leakTimeout bounds the return to the baseline after the fault.
	leakTimeout = 90 * time.Second
	// idleReap bounds the release of idle pooled connections: a minute of
	// idleness, a 30 s health-check period, and room.
	idleReap = 3 * time.Minute
)

// want is what a scenario expects of one object once converged.
type want struct {
	ready  metav1.ConditionStatus
	reason string // checked when not empty
}

// expectations maps an object to what it must converge to; nil means every
// object Ready=True.
type expectations func(rs *api.ReplicationSlot) want

func allReady(*api.ReplicationSlot) want { return want{ready: metav1.ConditionTrue} }

// lossless says whether no slot of the scenario may have been recreated.
type lossless bool

const (
	// noSlotLost: the fault cannot have cost a slot, so nothing may have
	// been recreated and no data gap may be reported.
	noSlotLost lossless = true
	// slotsMayBeLost: slots may have been lost (a failover); every logical
	// one recreated must report its data gap.
	slotsMayBeLost lossless = false
)

// expectInvariants runs every invariant for the scenario, in order: the
// statuses first, since the others are only meaningful after convergence.
func (s *scenario) expectInvariants(exp expectations, noLoss lossless) {
	GinkgoHelper()
	if exp == nil {
		exp = allReady
	}
	s.expectConverged(exp)
	s.expectSlotsExactlyOnce()
	s.expectCanaries()
	s.expectNoLeak()
	s.expectGapsReported(bool(noLoss))
}

func convergeBound(n int) time.Duration { return convergeBase + time.Duration(n)*convergePerSlot }

// expectConverged: every object reaches its expected Ready status for its
// current generation, and an owned slot's status names the slot and the
// member as PostgreSQL has them.
func (s *scenario) expectConverged(exp expectations) {
	GinkgoHelper()
	items, err := s.slots()
	Expect(err).NotTo(HaveOccurred())
	start, shown := time.Now(), time.Now()
	Eventually(func() ([]string, error) {
		bad, err := s.unconverged(exp)
		if len(bad) > 0 && time.Since(shown) > 5*time.Second {
			// Progress for the reader of a slow convergence.
			GinkgoWriter.Printf("%s: %d objects not converged after %v, e.g. %s\n", s.name, len(bad),
				time.Since(start).Round(time.Second), bad[0])
			shown = time.Now()
		}
		return bad, err
	}).WithTimeout(convergeBound(len(items)) + s.slack).WithPolling(time.Second).Should(BeEmpty())
	report(s.name+": statuses converged after the fault in", time.Since(start).Round(100*time.Millisecond))
}

// unconverged lists the objects that do not yet tell the truth, and why.
func (s *scenario) unconverged(exp expectations) ([]string, error) {
	items, err := s.slots()
	if err != nil {
		return nil, err
	}
	var bad []string
	for i := range items {
		if why := s.untruth(&items[i], exp(&items[i])); why != "" {
			bad = append(bad, items[i].Name+": "+why)
		}
	}
	return bad, nil
}

func (s *scenario) untruth(rs *api.ReplicationSlot, w want) string {
	c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionReady)
	switch {
	case c == nil:
		return "no Ready condition"
	case c.ObservedGeneration != rs.Generation:
		return "Ready is for an older generation"
	case c.Status != w.ready:
		return fmt.Sprintf("Ready=%s (%s: %s), want %s", c.Status, c.Reason, c.Message, w.ready)
	case w.reason != "" && c.Reason != w.reason:
		return fmt.Sprintf("Ready reason %s (%s), want %s", c.Reason, c.Message, w.reason)
	case rs.Status.SlotName != slotNameOf(rs):
		return fmt.Sprintf("status.slotName %q", rs.Status.SlotName)
	case rs.Status.Owned && rs.Status.Host != s.member:
		return fmt.Sprintf("status.host %q, want %s", rs.Status.Host, s.member)
	}
	return ""
}

// declaredSlots maps the slot name of every object that owns its slot to
// the type PostgreSQL shows for it.
func (s *scenario) declaredSlots() map[string]string {
	GinkgoHelper()
	items, err := s.slots()
	Expect(err).NotTo(HaveOccurred())
	out := map[string]string{}
	for i := range items {
		if items[i].Status.Owned {
			out[slotNameOf(&items[i])] = strings.ToLower(string(items[i].Spec.Type))
		}
	}
	return out
}

// expectSlotsExactlyOnce: the scenario's slots on the primary are exactly
// the owned declared ones, each with its type (PostgreSQL names are unique,
// so "once" means: present, and nothing else of the scenario's beside the
// canaries). Every declared object must own its slot or be in conflict.
func (s *scenario) expectSlotsExactlyOnce() {
	GinkgoHelper()
	want := s.declaredSlots()
	slots, err := pgSlots(s.pg)
	Expect(err).NotTo(HaveOccurred())
	got := map[string]string{}
	for name, row := range slots {
		if strings.HasPrefix(name, s.prefix()) && !slices.Contains(s.canaries, name) {
			got[name] = row.Type
		}
	}
	Expect(got).To(Equal(want), "the scenario's slots on %s vs the owned ReplicationSlots", s.pg.Addr())
	for name := range want {
		if want[name] == "logical" {
			Expect(slots[name].Database).To(Equal(database), name)
		}
	}
}

// expectCanaries: the foreign slots are still there, untouched.
func (s *scenario) expectCanaries() {
	GinkgoHelper()
	slots, err := pgSlots(s.pg)
	Expect(err).NotTo(HaveOccurred())
	for _, c := range s.canaries {
		Expect(slots).To(HaveKey(c), "canary slot %s was dropped", c)
	}
	Expect(slots[s.canaries[0]].Type).To(Equal("logical"))
	Expect(slots[s.canaries[1]].Type).To(Equal("physical"))
}

// expectNoLeak: the role's sessions come down to what the pools allow,
// and the operator's goroutines to near the baseline.
func (s *scenario) expectNoLeak() {
	GinkgoHelper()
	expectConnectionsBounded(s)
	expectGoroutinesBack(s.baseline)
}

// expectConnectionsBounded: at most maintenanceConns in the maintenance
// database and databaseConns in any other, once the pools have settled.
func expectConnectionsBounded(s *scenario) {
	GinkgoHelper()
	Eventually(func() (map[string]int, error) { return overConnectionBound(s) }).
		WithTimeout(leakTimeout).WithPolling(time.Second).Should(BeEmpty(), "sessions of role %s over the bound", s.role)
	conns, err := roleConnections(s.pg, s.role)
	Expect(err).NotTo(HaveOccurred())
	report(s.name+": sessions of the operator's role after convergence", conns)
	if full {
		// The creator's idle connections close after a minute (pgxpool's
		// MaxConnIdleTime, checked every 30 s): then at most 3 remain.
		released := time.Now()
		Eventually(func() (map[string]int, error) { return roleConnections(s.pg, s.role) }).
			WithTimeout(idleReap).WithPolling(2*time.Second).Should(WithTransform(total, BeNumerically("<=", maintenanceConns)),
			"sessions of role %s once idle connections are released", s.role)
		report(s.name+": idle sessions released to at most 3 after", time.Since(released).Round(time.Second))
	}
}

// overConnectionBound returns the databases where role has too many sessions.
func overConnectionBound(s *scenario) (map[string]int, error) {
	conns, err := roleConnections(s.pg, s.role)
	over := map[string]int{}
	for db, n := range conns {
		if (db == "postgres" && n > maintenanceConns) || (db != "postgres" && n > databaseConns) {
			over[db] = n
		}
	}
	return over, err
}

// expectGoroutinesBack waits until the operator's goroutines are within
// goroutineMargin of baseline.
func expectGoroutinesBack(baseline int) {
	GinkgoHelper()
	Eventually(goroutines).WithTimeout(leakTimeout).WithPolling(time.Second).
		Should(BeNumerically("<=", baseline+goroutineMargin), "operator goroutines vs baseline %d", baseline)
	n, _ := goroutines()
	report("operator goroutines after convergence (baseline)", fmt.Sprintf("%d (%d)", n, baseline))
}

// steadyGoroutines is the median of a few samples, as a baseline.
func steadyGoroutines() int {
	GinkgoHelper()
	var samples []int
	for range 3 {
		var n int
		Eventually(func() (err error) { n, err = goroutines(); return err }).Should(Succeed())
		samples = append(samples, n)
		time.Sleep(500 * time.Millisecond)
	}
	slices.Sort(samples)
	return samples[1]
}

// expectGapsReported: a recreated logical slot has its data gap in status
// and a DataGap condition; where no slot may have been lost, nothing was
// recreated at all.
func (s *scenario) expectGapsReported(noLoss bool) {
	GinkgoHelper()
	items, err := s.slots()
	Expect(err).NotTo(HaveOccurred())
	for i := range items {
		rs := &items[i]
		if noLoss {
			Expect(rs.Status.Recreations).To(BeZero(), "%s was recreated: %+v", rs.Name, rs.Status.LastDataGap)
			Expect(rs.Status.LastDataGap).To(BeNil(), "%s reports a data gap", rs.Name)
		}
		if rs.Spec.Type == api.SlotLogical && rs.Status.Recreations > 0 {
			Expect(rs.Status.LastDataGap).NotTo(BeNil(), "%s was recreated without a data gap", rs.Name)
			Expect(meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionDataGap)).To(BeTrue(),
				"%s was recreated without DataGap=True", rs.Name)
		}
	}
}
