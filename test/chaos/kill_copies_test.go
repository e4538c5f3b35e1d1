package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// Scenario 1b: the operator is SIGKILLed while it makes standby copies of
// physical failover slots. A copy made just before the kill, whose record
// the operator had no time to write, must still be known as its own: kept
// ready, and dropped with the slot, never left on the standby retaining WAL
// as a slot nobody owns.
var _ = Describe("kill -9 of the operator while it makes standby copies", Label("kill", "copies"), func() {
	It("records every copy it made, and leaves none behind once the slots are deleted", func() {
		start := time.Now()
		primary, standby := startCopyPair()
		s := newScenarioOn("copies", primary, primary.Host, primary.Port)
		addMember(s, standby)
		per := counts.CopySlots / counts.CopyRounds
		var kills []string
		for round := range counts.CopyRounds {
			declared := s.declareFailover(fmt.Sprintf("r%d", round), per)
			// The kill must land between a copy's creation and the status
			// write that follows within milliseconds: the standby is watched
			// on one open connection, every millisecond.
			made, _ := pgCount(standby, s.prefix())()
			at := 1 + rand.IntN(per-1)
			copies := waitForCopies(standby, s.prefix(), made+at) - made
			killAndRestart()
			kills = append(kills, fmt.Sprintf("round %d: killed with %d/%d copies made (aimed at %d)", round, copies, per, at))
			Eventually(declared).WithTimeout(time.Minute).Should(BeClosed())
		}
		report("kills", strings.Join(kills, "; "))
		s.expectInvariants(nil, noSlotLost)
		Eventually(s.unreadyCopies).WithTimeout(convergeBound(counts.CopySlots)).Should(BeEmpty(),
			"every slot's copy recorded and FailoverReady")
		Expect(pgCount(standby, s.prefix())()).To(Equal(counts.CopySlots), "one copy per slot on the standby")

		By("deleting every slot: their copies go with them")
		s.deleteObjects()
		Eventually(pgCount(standby, s.prefix())).WithTimeout(time.Minute).Should(BeZero(),
			"copies left on the standby, retaining WAL, after their slots were deleted")
		Expect(pgCount(primary, s.prefix()+"r")()).To(BeZero())
		report("scenario 1b took", time.Since(start).Round(time.Second))
	})
})

// startCopyPair starts a primary of its own with a streaming standby.
func startCopyPair() (primary, standby *pgtest.Server) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	primary = startServer(ctx, "chaos-copies-primary")
	DeferCleanup(primary.Cleanup)
	standby, err := primary.AddStandby(ctx, "standby_copies", nil)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(standby.Cleanup)
	return primary, standby
}

// addMember adds the standby to the scenario's PostgresServer and waits
// until the server reports it as a standby.
func addMember(s *scenario, standby *pgtest.Server) {
	GinkgoHelper()
	ps, err := s.server()
	Expect(err).NotTo(HaveOccurred())
	patch := client.MergeFrom(ps.DeepCopy())
	ps.Spec.Hosts = append(ps.Spec.Hosts, api.HostPort{Host: standby.Host, Port: int32(standby.Port)})
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	Expect(k8s.Patch(ctx, ps, patch)).To(Succeed())
	Eventually(func() (int, error) {
		ps, err := s.server()
		n := 0
		for _, m := range ps.Status.Members {
			if m.Role == api.RoleStandby {
				n++
			}
		}
		return n, err
	}).Should(Equal(1), "the standby is a member")
}

// declareFailover declares n physical failover slots in the background.
func (s *scenario) declareFailover(tag string, n int) <-chan struct{} {
	_, done := s.declareAsyncWith(tag, n, func(name string, _ int) *api.ReplicationSlot {
		rs := s.slotObject(name, api.SlotPhysical)
		rs.Spec.Failover = true
		return rs
	})
	return done
}

// unreadyCopies lists the scenario's slots whose standby copy is not
// recorded as made or not FailoverReady.
func (s *scenario) unreadyCopies() ([]string, error) {
	items, err := s.slots()
	var out []string
	for i := range items {
		rs := &items[i]
		c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionFailoverReady)
		if len(rs.Status.Copies) != 1 || rs.Status.Copies[0].Pending || c == nil || c.Status != metav1.ConditionTrue {
			out = append(out, rs.Name)
		}
	}
	return out, err
}

// waitForCopies polls the standby on one connection until it holds at
// least n slots whose names start with prefix, and returns how many.
func waitForCopies(standby *pgtest.Server, prefix string, n int) int {
	GinkgoHelper()
	ctx, cancel := ctxFor(time.Minute)
	defer cancel()
	conn, err := standby.Connect(ctx, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	for {
		var got int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE starts_with(slot_name, $1)`, prefix).Scan(&got)
		Expect(err).NotTo(HaveOccurred(), "waiting for %d copies on the standby", n)
		if got >= n {
			return got
		}
		time.Sleep(time.Millisecond)
	}
}

// pgCount counts the slots on pg whose names start with prefix.
func pgCount(pg *pgtest.Server, prefix string) func() (int, error) {
	return func() (int, error) {
		slots, err := pgSlots(pg)
		n := 0
		for name := range slots {
			if strings.HasPrefix(name, prefix) {
				n++
			}
		}
		return n, err
	}
}
