package controllers_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

const scaleSlots = 100

var _ = Describe("100 slots on one server", func() {
	It("polls with one slot query per member, whatever the slot count, and brings every slot back after a failover", func() {
		ctx := context.Background()
		p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "scale-primary",
			Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements", "max_replication_slots": "150"}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(p.Cleanup)
		Expect(p.Exec(ctx, "CREATE EXTENSION pg_stat_statements")).To(Succeed())
		Expect(p.CreateRole(ctx, opRole, opPassword, true)).To(Succeed())
		s, err := p.AddStandby(ctx, "scale_standby", nil)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Cleanup)

		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := createServer(ns, "db", "pg", p, s)
		for i := range scaleSlots {
			Expect(k8s.Create(bg, physicalSlot(ns, fmt.Sprintf("s%03d", i), ps.Name))).To(Succeed())
		}
		Eventually(readyCount(ns), "60s").Should(Equal(scaleSlots))

		By("counting the monitor's slot queries on the primary over a few polls")
		Expect(p.Exec(ctx, "SELECT pg_stat_statements_reset()")).To(Succeed())
		time.Sleep(3 * time.Second) // pollInterval is 1s: about three polls
		calls := slotQueryCalls(p)
		Expect(calls).To(BeNumerically(">=", 1))
		Expect(calls).To(BeNumerically("<=", 5), "slot queries must not grow with the %d slots", scaleSlots)

		By("failing over")
		Expect(p.Crash()).To(Succeed())
		Expect(s.Promote(ctx)).To(Succeed())
		Eventually(func() int {
			n, _ := countSlots(s)
			return n
		}, "60s").Should(BeNumerically(">=", scaleSlots))
		Eventually(readyOnHost(ns, s.Addr()), "60s").Should(Equal(scaleSlots))
	})
})

func readyCount(ns string) func() int {
	return readyOnHost(ns, "")
}

// readyOnHost counts the Ready ReplicationSlots of a namespace held by host
// (any host when empty).
func readyOnHost(ns, host string) func() int {
	return func() int {
		var list api.ReplicationSlotList
		Expect(k8s.List(bg, &list, client.InNamespace(ns))).To(Succeed())
		n := 0
		for i := range list.Items {
			st := list.Items[i].Status
			if meta.IsStatusConditionTrue(st.Conditions, api.ConditionReady) && (host == "" || st.Host == host) {
				n++
			}
		}
		return n
	}
}

// slotQueryCalls sums the calls of the statements that list slots (the
// member probe's count(*) aside), as pg_stat_statements saw them.
func slotQueryCalls(s *pgtest.Server) int64 {
	conn, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	var calls int64
	Expect(conn.QueryRow(bg, `SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements
		WHERE query ILIKE '%confirmed_flush_lsn%' AND query NOT ILIKE '%pg_stat_statements%'`).Scan(&calls)).To(Succeed())
	GinkgoWriter.Printf("slot listing statements in the window: %d\n", calls)
	return calls
}

func countSlots(s *pgtest.Server) (int, error) {
	conn, err := s.Connect(bg, "postgres")
	if err != nil {
		return 0, err
	}
	defer conn.Close(bg)
	var n int
	err = conn.QueryRow(bg, "SELECT count(*) FROM pg_replication_slots").Scan(&n)
	return n, err
}
