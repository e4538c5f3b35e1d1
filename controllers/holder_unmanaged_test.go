package controllers_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// A primary of its own with a short wal_sender_timeout, so a holder that
// answers keepalives but confirms nothing looks stale within seconds.
var _ = Describe("Slot holders and unmanaged slots", Ordered, func() {
	var p *pgtest.Server
	var ns string
	var ps *api.PostgresServer

	BeforeAll(func() {
		p = startServer("holders", map[string]string{"wal_sender_timeout": "2s"})
		ns = newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps = createServerWith(ns, "db", "pg", func(ps *api.PostgresServer) {
			ps.Spec.MaxUnmanagedRetainedWAL = api.NewQuantity(resource.MustParse("16Mi"))
		}, p)
	})

	It("names a stale holder, tells how to end it, and never drops the slot while it is held", func() {
		rs := logicalSlot(ns, "held", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		release, err := pgtest.HoldSlot(bg, p.DSN("postgres", "", "orders"), "held", true)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(release)
		// The holder replies to keepalives but confirms nothing; WAL moves on.
		Expect(p.Exec(bg, "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 1000)")).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(bg, client.ObjectKeyFromObject(rs), rs)).To(Succeed())
			g.Expect(rs.Status.Consumer).NotTo(BeNil())
			g.Expect(rs.Status.Consumer.Stale).To(BeTrue())
			// wal_sender_timeout is 2 s and the server polls every second:
			// the monitor wakes the object at the poll where the verdict
			// turns, not at its 30 s refresh.
		}).WithTimeout(15 * time.Second).Should(Succeed())
		pid := rs.Status.Consumer.PID
		Expect(rs.Status.Consumer.ApplicationName).To(Equal(pgtest.HoldApplicationName))
		ready := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionReady)
		Expect(ready.Message).To(And(ContainSubstring(fmt.Sprintf("held by pid %d", pid)),
			ContainSubstring("application "+pgtest.HoldApplicationName), ContainSubstring("walsender streaming"),
			ContainSubstring("confirmed nothing since"), ContainSubstring("wal_sender_timeout (2s)")))

		Expect(k8s.Delete(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionReady, metav1.ConditionFalse, api.ReasonSlotActive)
		Expect(c.Message).To(And(ContainSubstring("looks stale"),
			ContainSubstring(fmt.Sprintf("pg_terminate_backend(%d)", pid)), ContainSubstring("never terminates")))
		Consistently(slotExists(p, "held"), "3s").Should(BeTrue())

		release()
		Eventually(slotExists(p, "held")).Should(BeFalse())
	})

	It("inventories unmanaged slots with owner hints and flags their retention over budget", func() {
		for _, q := range []string{
			"SELECT pg_create_logical_replication_slot('debezium_orders', 'pgoutput')",
			"SELECT pg_create_logical_replication_slot('pgl_orders_provider', 'test_decoding')",
			"SELECT pg_create_physical_replication_slot('_cnpg_cluster_2', true)",
		} {
			Expect(p.Exec(bg, q)).To(Succeed())
		}
		DeferCleanup(func() {
			for _, n := range []string{"debezium_orders", "pgl_orders_provider", "_cnpg_cluster_2"} {
				_ = p.Exec(bg, "SELECT pg_drop_replication_slot($1)", n)
			}
		})
		// Each switch starts a new 16 MiB segment: the slots now pin more
		// than the 16Mi budget together.
		for range 3 {
			Expect(p.Exec(bg, "INSERT INTO t VALUES (1); SELECT pg_switch_wal()")).To(Succeed())
		}

		// The crossing wakes the server object within a poll; 20 s is well
		// short of its 30 s serverRefresh, which alone would not be enough.
		// WAL keeps moving so the figure is over the budget when it is read.
		var c metav1.Condition
		Eventually(func(g Gomega) {
			g.Expect(p.Exec(bg, "INSERT INTO t VALUES (1); SELECT pg_switch_wal()")).To(Succeed())
			g.Expect(k8s.Get(bg, keyOf(ps), ps)).To(Succeed())
			found := meta.FindStatusCondition(ps.Status.Conditions, api.ConditionUnmanagedWALRetentionHealthy)
			g.Expect(found).NotTo(BeNil())
			g.Expect(found.Status).To(Equal(metav1.ConditionFalse), found.Message)
			g.Expect(found.Reason).To(Equal(api.ReasonOverBudget), found.Message)
			c = *found
		}).WithPolling(time.Second).WithTimeout(20 * time.Second).Should(Succeed())
		Expect(c.Message).To(And(ContainSubstring("3 inactive unmanaged slot(s)"), ContainSubstring("budget of 16.0MiB"),
			ContainSubstring("never drops them")))
		owners := map[string]string{}
		for _, u := range get(ps).Status.UnmanagedSlots {
			owners[u.Name] = u.LikelyOwner
		}
		Expect(owners).To(HaveKeyWithValue("debezium_orders", "Debezium"))
		Expect(owners).To(HaveKeyWithValue("pgl_orders_provider", "pglogical"))
		Expect(owners).To(HaveKeyWithValue("_cnpg_cluster_2", "CloudNativePG replica slot"))
		Expect(ps.Status.Slots.InactiveUnmanaged).To(Equal(int32(3)))
		Expect(ps.Status.Slots.InactiveUnmanagedRetainedWALBytes).To(BeNumerically(">", 16<<20))

		patch := client.MergeFrom(ps.DeepCopy())
		ps.Spec.MaxUnmanagedRetainedWAL = api.NewQuantity(resource.MustParse("10Gi"))
		Expect(k8s.Patch(bg, ps, patch)).To(Succeed())
		waitCondition(ps, api.ConditionUnmanagedWALRetentionHealthy, metav1.ConditionTrue, api.ReasonWithinBudget)
		for _, n := range []string{"debezium_orders", "pgl_orders_provider", "_cnpg_cluster_2"} {
			Expect(slotExists(p, n)()).To(BeTrue(), "slotkeeper must never drop %s", n)
		}
	})

	It("reports retention over the slot's budget with what holds it back, and back within it once consumed", func() {
		rs := logicalSlot(ns, "budgeted", ps.Name)
		rs.Spec.MaxRetainedWAL = api.NewQuantity(resource.MustParse("16Mi"))
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionWALRetentionHealthy, metav1.ConditionTrue, api.ReasonWithinBudget)

		for range 2 {
			Expect(p.Exec(bg, "INSERT INTO t VALUES (2); SELECT pg_switch_wal()")).To(Succeed())
		}
		c := waitRetention(rs, metav1.ConditionFalse, api.ReasonOverBudget)
		Expect(c.Message).To(And(ContainSubstring("over the budget of 16.0MiB (spec.maxRetainedWAL)"),
			ContainSubstring("no consumer connected")))
		Eventually(eventNotes(ns, api.ReasonOverBudget)).Should(ContainElement(ContainSubstring("budget of 16.0MiB")))

		// A consumer catching up is what ends it: move the slot to the end of WAL.
		conn, err := p.Connect(bg, "orders") // a logical slot moves only from its own database
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close(bg)
		// restart_lsn moves only to a running-xacts record the advance
		// decodes: write one (CHECKPOINT) before each try. The slot went
		// over budget within a poll, before the background writer wrote one.
		Eventually(func(g Gomega) {
			_, err := conn.Exec(bg, "CHECKPOINT; SELECT pg_replication_slot_advance('budgeted', pg_current_wal_lsn())")
			g.Expect(err).NotTo(HaveOccurred())
			c := getCondition(rs, api.ConditionWALRetentionHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(api.ReasonWithinBudget), c.Message)
		}).WithPolling(time.Second).WithTimeout(20 * time.Second).Should(Succeed()) // a poll, not the 30 s refresh
		Eventually(eventNotes(ns, api.ReasonWithinBudget)).Should(ContainElement(ContainSubstring("back within budget")))
		Expect(get(rs).Status.Recreations).To(BeZero())
	})
})

// waitRetention waits for the slot's WALRetentionHealthy: the slot's
// retention crossing its budget wakes it within a poll, and 20 s is short of
// the 30 s refresh of a Ready slot, which alone would not be enough.
func waitRetention(rs *api.ReplicationSlot, st metav1.ConditionStatus, reason string) metav1.Condition {
	var found metav1.Condition
	EventuallyWithOffset(1, func(g Gomega) {
		c := getCondition(rs, api.ConditionWALRetentionHealthy)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(st), c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
		found = *c
	}).WithTimeout(20 * time.Second).Should(Succeed())
	return found
}
