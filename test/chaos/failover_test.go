package chaos

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// Scenario 8 (full form): the primary fails over to its streaming standby
// in the middle of a mass creation, behind one address (a Service).
var _ = fullOnly(func() {
	Describe("failover during mass creation", Label("failover"), func() {
		It("puts every slot on the new primary once and reports the logical slots' gaps", func() {
			start := time.Now()
			old, standby, front := startFailoverPair()
			s := newScenarioOn("fo", old, front.Host(), front.Port())
			// Slots no object declares, on the member that will be primary:
			// the operator must leave them alone there.
			standbyCanaries := createStandbyCanaries(old, standby, s.prefix()+"sb_")

			_, declared, moment := s.midCreation("a", counts.FailoverSlots)
			before, err := s.slots()
			Expect(err).NotTo(HaveOccurred())
			Expect(old.Crash()).To(Succeed())
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			Expect(standby.Promote(ctx)).To(Succeed())
			front.Repoint(standby.Addr())
			report("failover: promoted with "+moment, fmt.Sprintf("%d objects had observed their slot", observedCount(before)))
			s.pg, s.canaries = standby, standbyCanaries
			Eventually(declared).WithTimeout(time.Minute).Should(BeClosed())

			s.expectInvariants(nil, slotsMayBeLost)
			expectLossesReported(s, before)
			Eventually(func() (int32, error) {
				ps, err := s.server()
				return ps.Status.Failovers, err
			}).Should(Equal(int32(1)), "the PostgresServer counts one failover")
			report("scenario 8 took", time.Since(start).Round(time.Second))
		})
	})
})

// startFailoverPair starts a primary with a streaming standby and a proxy
// in front of the primary; all are cleaned up after the spec.
func startFailoverPair() (primary, standby *pgtest.Server, front *pgtest.Proxy) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	primary = startServer(ctx, "chaos-fo-primary")
	DeferCleanup(primary.Cleanup)
	var err error
	standby, err = primary.AddStandby(ctx, "standby_fo", nil)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(standby.Cleanup)
	front, err = pgtest.StartProxy(primary.Addr())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(front.Close)
	return primary, standby, front
}

// createStandbyCanaries creates a logical and a physical slot on the
// standby. A logical slot on a standby waits for a running-xacts record
// from the primary, so the primary is asked for one until it is done.
func createStandbyCanaries(primary, standby *pgtest.Server, prefix string) []string {
	GinkgoHelper()
	logical, physical := prefix+"canary_logical", prefix+"canary_physical"
	pgExec(standby, `SELECT pg_create_physical_replication_slot($1, true)`, physical)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := ctxFor(time.Minute)
		defer cancel()
		conn, err := standby.Connect(ctx, database)
		if err != nil {
			done <- err
			return
		}
		defer func() { _ = conn.Close(context.Background()) }()
		_, err = conn.Exec(ctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, logical)
		done <- err
	}()
	for {
		select {
		case err := <-done:
			Expect(err).NotTo(HaveOccurred())
			return []string{logical, physical}
		case <-time.After(200 * time.Millisecond):
			pgExec(primary, `SELECT pg_log_standby_snapshot()`)
		}
	}
}

// observed reports whether the object's status showed its slot: then the
// operator knows it existed, and losing it is a recreation.
func observed(rs *api.ReplicationSlot) bool {
	return rs.Status.CreatedAt != nil || rs.Status.RestartLSN != "" || rs.Status.ConfirmedFlushLSN != ""
}

func observedCount(items []api.ReplicationSlot) int {
	n := 0
	for i := range items {
		if observed(&items[i]) {
			n++
		}
	}
	return n
}

// expectLossesReported: every slot whose object had observed it before the
// failover was lost with the old primary and recreated; a logical one
// reports a data gap with reason Failover, a physical one none.
func expectLossesReported(s *scenario, before []api.ReplicationSlot) {
	GinkgoHelper()
	now, err := s.slots()
	Expect(err).NotTo(HaveOccurred())
	byName := map[string]*api.ReplicationSlot{}
	for i := range now {
		byName[now[i].Name] = &now[i]
	}
	gaps := 0
	for i := range before {
		if !observed(&before[i]) {
			continue
		}
		rs := byName[before[i].Name]
		Expect(rs).NotTo(BeNil())
		Expect(rs.Status.Recreations).To(BeNumerically(">=", 1), "%s was lost with the old primary", rs.Name)
		if rs.Spec.Type == api.SlotPhysical {
			Expect(rs.Status.LastDataGap).To(BeNil(), "%s: a physical slot has no data gap", rs.Name)
			continue
		}
		Expect(rs.Status.LastDataGap).NotTo(BeNil(), rs.Name)
		Expect(rs.Status.LastDataGap.Reason).To(Equal(api.ReasonFailover), rs.Name)
		Expect(meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionDataGap)).To(BeTrue(), rs.Name)
		gaps++
	}
	report("failover: logical slots with a Failover data gap", gaps)
}
