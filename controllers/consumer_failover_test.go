package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// cdcRig is a primary and standby under a steady insert load, with a real
// PostgreSQL subscriber consuming the slot through a proxy that the test
// repoints at the promoted standby, as a consumer's Service would follow.
type cdcRig struct {
	primary, standby, subscriber *pgtest.Server
	proxy                        *pgtest.Proxy
	load                         *pgtest.Load
	mu                           sync.Mutex
	writeTo                      *pgtest.Server
	rs                           *api.ReplicationSlot
}

// newCDCRig starts the servers; standbySettings are the standby's, and
// the primary commits synchronously so that acknowledged rows are in WAL.
func newCDCRig(name string, standbySettings map[string]string) *cdcRig {
	p := startServer(name+"-primary", map[string]string{"synchronous_commit": "on"})
	s, err := p.AddStandby(bg, "standby_"+name, standbySettings)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Cleanup)
	if major >= 17 {
		// Without it a consumer can receive changes the standby has not: a
		// failover would then lose them for the consumer.
		Expect(p.SetSettings(bg, map[string]string{"synchronized_standby_slots": "standby_" + name}, false)).To(Succeed())
	}
	Expect(p.Exec(bg, "SELECT 1")).To(Succeed())
	rig := &cdcRig{primary: p, standby: s, writeTo: p}
	rig.execSQL(p, `CREATE TABLE t (id bigint, lsn pg_lsn DEFAULT pg_current_wal_insert_lsn());
		CREATE PUBLICATION pub FOR TABLE t`)
	rig.subscriber = startServer(name+"-sub", nil)
	rig.execSQL(rig.subscriber, `CREATE TABLE t (id bigint, lsn pg_lsn)`)
	rig.proxy, err = pgtest.StartProxy(p.Addr())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rig.proxy.Close)
	return rig
}

func (c *cdcRig) execSQL(s *pgtest.Server, sql string) {
	conn, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	_, err = conn.Exec(bg, sql)
	Expect(err).NotTo(HaveOccurred())
}

// declare creates the failover slot, subscribes to it and starts the load.
func (c *cdcRig) declare(name string) {
	ns, ps := serverOn(c.primary, c.standby)
	c.rs = logicalSlot(ns, name, ps.Name)
	// The tables live in the maintenance database, where pgtest's
	// subscriber and row readers connect.
	c.rs.Spec.Plugin, c.rs.Spec.Failover, c.rs.Spec.Database = "pgoutput", true, "postgres"
	Expect(k8s.Create(bg, c.rs)).To(Succeed())
	waitCondition(c.rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres connect_timeout=5", c.proxy.Host(), c.proxy.Port())
	Expect(c.subscriber.Subscribe(bg, "sub", conninfo, strings.ReplaceAll(name, "-", "_"), "pub", true)).To(Succeed())
	c.load = pgtest.StartLoad(context.Background(), func() string {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.writeTo.SuperuserDSN("postgres")
	}, "t")
	DeferCleanup(func() { c.load.Stop() })
}

// failover crashes the primary, promotes the standby and sends the load
// and the consumer there.
func (c *cdcRig) failover() {
	Expect(c.primary.Crash()).To(Succeed())
	Expect(c.standby.Promote(context.Background())).To(Succeed())
	c.mu.Lock()
	c.writeTo = c.standby
	c.mu.Unlock()
	c.proxy.Repoint(c.standby.Addr())
	c.proxy.CutAll()
}

// settle stops the load once some rows went to the promoted server, and
// waits until the subscriber has applied everything the promoted server
// holds (or stops changing).
func (c *cdcRig) settle() (truth, got []int64) {
	after := c.load.Committed()
	Eventually(c.load.Committed, "30s", "100ms").Should(BeNumerically(">", after+50))
	c.load.Stop()
	truth, err := c.standby.IDs(bg, "t")
	Expect(err).NotTo(HaveOccurred())
	Expect(truth).NotTo(BeEmpty())
	// Changes arrive in commit order: once the last row is there, every
	// row the consumer will ever get is.
	Eventually(func(g Gomega) {
		got, err = c.subscriber.IDs(bg, "t")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(ContainElement(truth[len(truth)-1]))
	}, "60s", "250ms").Should(Succeed(), "the subscriber catches up")
	return truth, got
}

// waitStandbyCaughtUp waits until the standby has replayed all WAL the
// primary wrote.
func (c *cdcRig) waitStandbyCaughtUp() {
	conn, err := c.primary.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	var end string
	Expect(conn.QueryRow(bg, "SELECT pg_current_wal_flush_lsn()::text").Scan(&end)).To(Succeed())
	Eventually(func(g Gomega) {
		sc, err := c.standby.Connect(bg, "postgres")
		g.Expect(err).NotTo(HaveOccurred())
		defer sc.Close(bg)
		var ok bool
		g.Expect(sc.QueryRow(bg, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", end).Scan(&ok)).To(Succeed())
		g.Expect(ok).To(BeTrue())
	}, "30s", "50ms").Should(Succeed())
}

// Zero loss needs failover slots: native from PostgreSQL 17, copies kept by
// slotkeeper on 16. The specs exist where they apply.
var _ = Describe("failover with a real consumer", func() {
	if major < 16 {
		return
	}
	standbySettings := map[string]string{"hot_standby_feedback": "on"}
	if major >= 17 {
		standbySettings["sync_replication_slots"] = "on"
	}

	It("loses no committed change and reports no data gap", func() {
		rig := newCDCRig("zero", standbySettings)
		rig.declare("cdc-zero")
		start := time.Now()
		// On 16 the copy is created on the standby under the load, which
		// can take a while on a busy machine (BENCHMARKS.md has figures).
		Eventually(func(g Gomega) {
			c := getCondition(rig.rs, api.ConditionFailoverReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, "150s", "250ms").Should(Succeed())
		GinkgoWriter.Printf("FailoverReady under load after %v\n", time.Since(start).Round(time.Millisecond))
		Expect(rig.rs.Status.Standbys).To(ConsistOf(HaveField("Ready", true)))
		if major < 17 {
			// PostgreSQL 16 has no synchronized_standby_slots: a consumer can
			// receive a change before the standby does. Let the standby catch
			// up so the crash loses nothing that replication itself keeps.
			rig.load.Pause()
			rig.waitStandbyCaughtUp()
		}
		GinkgoWriter.Printf("copies before the failover: %+v\n", get(rig.rs).Status.Copies)
		rig.failover()
		rig.load.Resume()
		Eventually(func() string { return get(rig.rs).Status.Host }, "30s").Should(Equal(rig.standby.Addr()))
		waitCondition(rig.rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		truth, got := rig.settle()
		missing, extra, dup := pgtest.CompareIDs(truth, got)
		Expect(missing).To(BeEmpty(), "rows on the promoted server the consumer never received")
		Expect(dup).To(BeEmpty(), "rows the consumer applied twice")
		Expect(extra).To(BeEmpty(), "rows the consumer has that the promoted server lost")
		GinkgoWriter.Printf("%d rows, none lost across the failover\n", len(truth))
		rs := get(rig.rs)
		Expect(rs.Status.Recreations).To(BeZero())
		Expect(rs.Status.LastDataGap).To(BeNil())
		Expect(rs.Status.Conditions).NotTo(ContainElement(HaveField("Type", api.ConditionDataGap)))
	})

	It("names a missing prerequisite, and reports the data gap the consumer really suffered", func() {
		settings := map[string]string{"hot_standby_feedback": "off"}
		if major >= 17 {
			settings["sync_replication_slots"] = "on"
		}
		rig := newCDCRig("gap", settings)
		rig.declare("cdc-gap")
		c := waitCondition(rig.rs, api.ConditionFailoverReady, metav1.ConditionFalse, api.ReasonFailoverPrerequisites)
		Expect(c.Message).To(ContainSubstring("hot_standby_feedback = on"))
		Eventually(rig.load.Committed, "30s").Should(BeNumerically(">", 100))
		By("the consumer stops for a moment: what it has not received when the primary fails is lost with the slot")
		rig.execSQL(rig.subscriber, "ALTER SUBSCRIPTION sub DISABLE")
		n := rig.load.Committed()
		Eventually(rig.load.Committed, "30s").Should(BeNumerically(">", n+100))
		if major < 17 {
			rig.load.Pause()
			rig.waitStandbyCaughtUp()
		}
		rig.failover()
		rig.execSQL(rig.subscriber, "ALTER SUBSCRIPTION sub ENABLE")
		rig.load.Resume()
		Eventually(func() string { return get(rig.rs).Status.Host }, "30s").Should(Equal(rig.standby.Addr()))
		waitCondition(rig.rs, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonFailover)
		gap := get(rig.rs).Status.LastDataGap
		Expect(gap).NotTo(BeNil())

		truth, got := rig.settle()
		missing, extra, dup := pgtest.CompareIDs(truth, got)
		Expect(dup).To(BeEmpty())
		Expect(extra).To(BeEmpty())
		lsns, err := rig.standby.IDLSNs(bg, "t")
		Expect(err).NotTo(HaveOccurred())
		Expect(missing).NotTo(BeEmpty(), "rows committed while the consumer was away")
		from, to := mustLSN(gap.FromLSN), mustLSN(gap.ToLSN)
		for _, id := range missing {
			at := mustLSN(lsns[id])
			Expect(at).To(BeNumerically(">=", from), "row %d lost before the reported gap", id)
			Expect(at).To(BeNumerically("<", to), "row %d lost after the reported gap", id)
		}
		GinkgoWriter.Printf("gap %s..%s; the consumer lost %d rows, all inside it\n", gap.FromLSN, gap.ToLSN, len(missing))
	})
})

func mustLSN(s string) postgres.LSN {
	l, err := postgres.ParseLSN(s)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "LSN %q", s)
	return l
}
