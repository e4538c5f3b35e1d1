package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// querySlotBool reads one boolean column of a slot as the superuser.
func querySlotBool(s *pgtest.Server, slot, column string) func() (bool, error) {
	return func() (bool, error) {
		conn, err := s.Connect(bg, "postgres")
		if err != nil {
			return false, err
		}
		defer conn.Close(bg)
		var v bool
		err = conn.QueryRow(bg, "SELECT "+column+" FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&v)
		return v, err
	}
}

// rowCount polls the number of rows of a table in database postgres.
func rowCount(s *pgtest.Server, table string) func() (int, error) {
	return func() (int, error) {
		conn, err := s.Connect(bg, "postgres")
		if err != nil {
			return 0, err
		}
		defer conn.Close(bg)
		var n int
		err = conn.QueryRow(bg, "SELECT count(*) FROM "+table).Scan(&n)
		return n, err
	}
}

// recycleWAL writes and switches WAL segments and checkpoints, so that a
// server keeps only the WAL some slot still holds.
func recycleWAL(s *pgtest.Server) {
	for range 4 {
		Expect(s.Exec(bg, "CREATE TABLE IF NOT EXISTS filler(x text)")).To(Succeed())
		Expect(s.Exec(bg, "INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 2000)")).To(Succeed())
		Expect(s.Exec(bg, "SELECT pg_switch_wal()")).To(Succeed())
	}
	Expect(s.Exec(bg, "CHECKPOINT")).To(Succeed())
}

var _ = Describe("standby copies", func() {
	It("let a standby that replicated through a physical failover slot resume from the promoted node, with its WAL recycled", func() {
		p := startServer("cascade-primary", nil)
		// The promoted standby keeps no WAL of its own accord: only the
		// copy can hold what the cascaded standby still needs.
		promoted, err := p.AddStandby(bg, "standby_cascade", map[string]string{"wal_keep_size": "0"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(promoted.Cleanup)
		follower, err := p.AddStandby(bg, "cascade_fo", nil)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(follower.Cleanup)

		ns, ps := serverOn(p, promoted)
		rs := physicalSlot(ns, "cascade-fo", ps.Name)
		rs.Spec.Failover = true
		// The follower streams through this slot already: adopting it must
		// be asked for.
		rs.Spec.Adoption = api.AdoptIfMatchingWithStandby
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(rs).Status.Owned).To(BeTrue(), "the follower's slot was adopted")
		Expect(p.Exec(bg, "CREATE TABLE before_failover(x int)")).To(Succeed())
		Expect(p.Exec(bg, "INSERT INTO before_failover VALUES (1)")).To(Succeed())
		waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)
		Expect(get(rs).Status.Copies).To(ConsistOf(HaveField("Port", int32(promoted.Port))))
		// Both standbys have everything before the primary goes.
		Eventually(rowCount(promoted, "before_failover")).Should(Equal(1))
		Eventually(rowCount(follower, "before_failover")).Should(Equal(1))

		Expect(follower.Stop()).To(Succeed())
		Expect(p.Crash()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())
		Eventually(func() string { return get(rs).Status.Host }).Should(Equal(promoted.Addr()))
		recycleWAL(promoted)

		Expect(follower.Rejoin(bg, promoted, "cascade_fo")).To(Succeed(), "the follower streams from the promoted node through the copy")
		Expect(promoted.Exec(bg, "INSERT INTO before_failover VALUES (2)")).To(Succeed())
		Eventually(rowCount(follower, "before_failover")).Should(Equal(2))
		Expect(get(rs).Status.Recreations).To(BeZero())
	})

	It("drop their copies when failover is switched off, and never touch a same-named slot they did not make", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "copy-off", ps.Name)
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())
		Eventually(slotExists(standby, "copy_off")).Should(BeTrue())
		Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).Should(HaveLen(1))
		// A patch: an update would race the operator's status writes.
		patch := client.MergeFrom(rs.DeepCopy())
		rs.Spec.Failover = false
		Expect(k8s.Patch(bg, rs, patch)).To(Succeed())
		Eventually(slotExists(standby, "copy_off")).Should(BeFalse())
		Eventually(func() []api.SlotCopy { return get(rs).Status.Copies }).Should(BeEmpty())
		Eventually(eventNotes(ns, "CopyDropped")).Should(ContainElement(ContainSubstring("failover is off")))

		By("a slot of the same name on the standby that slotkeeper did not make")
		Expect(standby.Exec(bg, "SELECT pg_create_physical_replication_slot('twin', true)")).To(Succeed())
		twin := physicalSlot(ns, "twin", ps.Name)
		twin.Spec.Failover = true
		Expect(k8s.Create(bg, twin)).To(Succeed())
		c := waitCondition(twin, api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonNotSynced)
		Expect(c.Message).To(ContainSubstring("slotkeeper did not make"))
		deleteAndWait(twin)
		Expect(slotExists(standby, "twin")()).To(BeTrue(), "never dropped")
		Expect(standby.Exec(bg, "SELECT pg_drop_replication_slot('twin')")).To(Succeed())
	})

	It("take a copy made just before the operator stopped as their own when its record was pending, and drop it with the slot", func() {
		// The state a crash between the copy's creation and the status write
		// leaves: the record says pending, the standby has the slot. The
		// object names a server that does not exist yet, so the operator
		// leaves status.copies alone while the test writes it.
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		rs := physicalSlot(ns, "crashed-copy", "db")
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionFalse, api.ReasonServerNotFound)
		patch := client.MergeFrom(rs.DeepCopy())
		rs.Status.Copies = []api.SlotCopy{{Host: standby.Host, Port: int32(standby.Port), Pending: true}}
		Expect(k8s.Status().Patch(bg, rs, patch)).To(Succeed())
		Expect(standby.Exec(bg, "SELECT pg_create_physical_replication_slot('crashed_copy', true)")).To(Succeed())

		createServer(ns, "db", "pg", primary, standby)
		waitCondition(rs, api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)
		Expect(get(rs).Status.Copies).To(ConsistOf(api.SlotCopy{Host: standby.Host, Port: int32(standby.Port)}))
		Eventually(eventNotes(ns, "CopyCreated")).Should(ContainElement(ContainSubstring("made before it stopped")))

		deleteAndWait(rs)
		Expect(slotExists(standby, "crashed_copy")()).To(BeFalse(), "dropped with the slot, as a copy slotkeeper made")
		Expect(slotExists(primary, "crashed_copy")()).To(BeFalse())
	})

	It("record a copy as pending before making it", func() {
		ns, ps := defaultServer()
		wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: k8s.Scheme()})
		Expect(err).NotTo(HaveOccurred())
		w, err := wc.Watch(bg, &api.ReplicationSlotList{}, client.InNamespace(ns))
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		rs := physicalSlot(ns, "pending-first", ps.Name)
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())

		// Each version of the object as the API server stored it, reduced to
		// what its record of the standby copy says.
		var states []string
		Eventually(func() []string {
			for {
				select {
				case ev := <-w.ResultChan():
					if obj, ok := ev.Object.(*api.ReplicationSlot); ok {
						states = appendChanged(states, copyState(obj.Status.Copies))
					}
				default:
					return states
				}
			}
		}).Should(Equal([]string{"none", "pending", "made"}))
		Expect(slotExists(standby, "pending_first")()).To(BeTrue())
	})

	if major < 17 {
		return
	}
	It("drop a former primary's stale failover slot once it rejoins as a standby, so the sync resumes", func() {
		syncSettings := map[string]string{"sync_replication_slots": "on", "hot_standby_feedback": "on"}
		oldPrimary, promoted := newPairWith("stale", syncSettings)
		ns, ps := serverOn(oldPrimary, promoted)
		rs := logicalSlot(ns, "cdc-stale", ps.Name)
		rs.Spec.Failover = true
		Expect(k8s.Create(bg, rs)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(oldPrimary.Exec(bg, "CREATE TABLE IF NOT EXISTS t(x int)")).To(Succeed())
			g.Expect(oldPrimary.Exec(bg, "INSERT INTO t VALUES (1)")).To(Succeed())
			g.Expect(oldPrimary.Exec(bg, "SELECT pg_replication_slot_advance('cdc_stale', pg_current_wal_lsn())")).To(Succeed())
			g.Expect(getCondition(rs, api.ConditionFailoverReady)).To(HaveField("Status", metav1.ConditionTrue))
		}, "60s", "1s").Should(Succeed())

		By("a switchover: the old primary keeps its slot, failover = true and synced = false")
		Expect(oldPrimary.Stop()).To(Succeed())
		Expect(promoted.Promote(context.Background())).To(Succeed())
		Eventually(func() string { return get(rs).Status.Host }).Should(Equal(promoted.Addr()))
		Expect(oldPrimary.SetSettings(bg, syncSettings, false)).To(Succeed())
		Expect(oldPrimary.Rejoin(bg, promoted, "rejoined")).To(Succeed())

		// A consumer keeps writing and confirming on the promoted server, and
		// the test reads the rejoined standby over one connection: a new one
		// each time would wake its postmaster, which is what restarts the
		// worker the stale slot stopped. Under writes a one-shot
		// synchronization cannot persist the copy, so FailoverReady comes
		// back only if slotkeeper gets the worker going (about 12 s; the
		// postmaster alone took a minute).
		stopWrites := writeAndConfirm(promoted, "cdc_stale")
		DeferCleanup(stopWrites)
		conn, err := oldPrimary.Connect(bg, "postgres")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { conn.Close(bg) })
		Eventually(eventNotes(ns, "StaleSlotDropped")).Should(ContainElement(ContainSubstring(oldPrimary.Addr())))
		Eventually(func(g Gomega) {
			var persistent bool
			g.Expect(conn.QueryRow(bg, "SELECT synced AND NOT temporary FROM pg_replication_slots WHERE slot_name = 'cdc_stale'").Scan(&persistent)).To(Succeed())
			g.Expect(persistent).To(BeTrue(), "the sync worker took over")
			c := getCondition(rs, api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, "45s", "200ms").Should(Succeed())
		Expect(get(rs).Status.Copies).To(BeEmpty())
	})
})

// writeAndConfirm stands in for a busy consumer of logical slot on s (in
// database orders): a row written to t and the slot advanced to the end of
// WAL every 200 ms, until the returned function is called.
func writeAndConfirm(s *pgtest.Server, slot string) func() {
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	writes, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	consumer, err := s.Connect(bg, "orders")
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer close(done)
		defer writes.Close(bg)
		defer consumer.Close(bg)
		for ctx.Err() == nil {
			_, _ = writes.Exec(ctx, "INSERT INTO t VALUES (2)")
			_, _ = consumer.Exec(ctx, "SELECT pg_replication_slot_advance($1, pg_current_wal_lsn())", slot)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); <-done }
}

// copyState says what a slot's status records of its standby copies.
func copyState(copies []api.SlotCopy) string {
	switch {
	case len(copies) == 0:
		return "none"
	case copies[0].Pending:
		return "pending"
	}
	return "made"
}

// appendChanged appends s unless it repeats the last element.
func appendChanged(list []string, s string) []string {
	if len(list) > 0 && list[len(list)-1] == s {
		return list
	}
	return append(list, s)
}
