package controllers_test

import (
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// Each case asserts what the user sees, and that nothing was lost.
var _ = Describe("bad input", func() {
	It("reports a serverRef to a missing server, and recovers when it appears", func() {
		ns := newNamespace()
		rs := physicalSlot(ns, "orphan-ref", "nowhere")
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonServerNotFound)
		Expect(c.Message).To(ContainSubstring(`PostgresServer "nowhere" not found`))
		createSecret(ns, "pg", opRole, opPassword)
		createServer(ns, "nowhere", "pg", primary)
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		deleteAndWait(rs)
	})

	It("reports a missing Secret on the server and its slots", func() {
		ns := newNamespace()
		ps := createServer(ns, "db", "no-such-secret", primary)
		c := waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonCredentialsMissing)
		Expect(c.Message).To(ContainSubstring(`Secret "no-such-secret" not found`))
		rs := physicalSlot(ns, "nosecret", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonServerNotReady)
		By("creating the Secret, everything recovers")
		createSecret(ns, "no-such-secret", opRole, opPassword)
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		deleteAndWait(rs)
	})

	It("reports a wrong password as AuthenticationFailed without leaking it", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, "hunter2-wrong")
		ps := createServer(ns, "db", "pg", primary)
		c := waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonAuthenticationFailed)
		Expect(c.Message).NotTo(ContainSubstring("hunter2"))
		rs := physicalSlot(ns, "wrongpw", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonAuthenticationFailed)
		Expect(slotExists(primary, "wrongpw")()).To(BeFalse())
	})

	It("treats an unreachable host as transient: Reconciling, never Stalled", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := &pgtest.Server{Host: "127.0.0.1", Port: closedPort()}
		srv := createServer(ns, "db", "pg", ps)
		waitCondition(srv, api.ConditionReconciling, metav1.ConditionTrue, api.ReasonServerUnavailable)
		rs := physicalSlot(ns, "unreachable", srv.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionReconciling, metav1.ConditionTrue, api.ReasonServerUnavailable)
		Expect(c.Message).To(ContainSubstring("127.0.0.1"))
		Expect(get(rs).Status.Conditions).NotTo(ContainElement(HaveField("Type", api.ConditionStalled)))
	})

	It("reports an unknown output plugin as PluginMissing", func() {
		ns, ps := defaultServer()
		rs := logicalSlot(ns, "badplugin", ps.Name)
		rs.Spec.Plugin = "no_such_plugin"
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonPluginMissing)
		Expect(c.Message).To(ContainSubstring("no_such_plugin"))
		Expect(slotExists(primary, "badplugin")()).To(BeFalse())
	})

	It("refuses a slot name taken by an unmanaged slot of another type, and never drops it", func() {
		ns, ps := defaultServer()
		Expect(primary.Exec(bg, "SELECT pg_create_physical_replication_slot('taken')")).To(Succeed())
		rs := logicalSlot(ns, "taken", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("physical"))
		deleteAndWait(rs)
		Expect(readSlot(primary, "taken")).To(Equal(&slotRow{Type: "physical"}))
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('taken')")).To(Succeed())
	})

	It("refuses an existing slot when adoption is Never", func() {
		ns, ps := defaultServer()
		Expect(primary.Exec(bg, "SELECT pg_create_physical_replication_slot('noadopt')")).To(Succeed())
		rs := physicalSlot(ns, "noadopt", ps.Name)
		rs.Spec.Adoption = api.AdoptNever
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		deleteAndWait(rs)
		Expect(slotExists(primary, "noadopt")()).To(BeTrue())
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('noadopt')")).To(Succeed())
	})

	It("gives one slot to the oldest of two objects; the other is a Conflict and its deletion drops nothing", func() {
		ns, ps := defaultServer()
		first := createNamedSlot(ns, "first", ps.Name, "shared_slot")
		waitCondition(first, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		second := createNamedSlot(ns, "second", ps.Name, "shared_slot")
		c := waitCondition(second, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring(`"first"`))
		deleteAndWait(second)
		Expect(slotExists(primary, "shared_slot")()).To(BeTrue())
		waitCondition(first, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		deleteAndWait(first)
		Expect(slotExists(primary, "shared_slot")()).To(BeFalse())
	})

	It("gives a slot one owner across namespaces whose PostgresServers reach the same cluster", func() {
		nsA, psA := defaultServer()
		nsB, psB := defaultServer()
		a := createNamedSlot(nsA, "team-a", psA.Name, "shared_across")
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		b := createNamedSlot(nsB, "team-b", psB.Name, "shared_across")
		c := waitCondition(b, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("another namespace"))
		Expect(c.Message).NotTo(Or(ContainSubstring(nsA), ContainSubstring("team-a"), ContainSubstring(psA.Name+`"`)),
			"another team's object names are not this team's to read")
		Expect(get(b).Status.Owned).To(BeFalse())
		Expect(get(b).Status.Origin).To(BeEmpty(), "its creation found the name taken: it made nothing")

		By("the other team's server does not count the slot as unmanaged")
		Expect(primary.Exec(bg, "SELECT pg_create_physical_replication_slot('xns_canary')")).To(Succeed())
		DeferCleanup(primary.Exec, bg, "SELECT pg_drop_replication_slot('xns_canary')")
		unmanaged := func() []string {
			var names []string
			for _, u := range get(psB).Status.UnmanagedSlots {
				names = append(names, u.Name)
			}
			return names
		}
		Eventually(unmanaged).WithTimeout(time.Minute).Should(ContainElement("xns_canary"))
		Expect(unmanaged()).NotTo(ContainElement("shared_across"))

		By("deleting the owner drops its slot: another namespace's object does not keep it alive, nor adopts it meanwhile")
		deleteAndWait(a)
		waitCondition(b, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(b).Status.Owned).To(BeTrue())
		Expect(get(b).Status.Origin).To(Equal(api.OriginCreated), "team-a's slot was dropped; team-b made its own")
		Expect(get(b).Status.Recreations).To(BeZero())
		deleteAndWait(b)
		Expect(slotExists(primary, "shared_across")()).To(BeFalse())
	})

	It("never keeps a slot alive for another namespace's object matched by system identifier alone", func() {
		// A server copied from the suite's template has the primary's system
		// identifier, as a restored backup or an endpoint that lies about it
		// would: team-b's PostgresServer reaches it, not team-a's cluster.
		clone := startServer("sysid-twin", nil)
		nsA, psA := defaultServer()
		nsB, psB := serverOn(clone)
		a := createNamedSlot(nsA, "team-a", psA.Name, "kept_across")
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		b := createNamedSlot(nsB, "team-b", psB.Name, "kept_across")
		waitCondition(b, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		deleteAndWait(a)
		Expect(slotExists(primary, "kept_across")()).To(BeFalse(), "team-b's object kept team-a's slot (and its WAL)")
		Expect(slotExists(clone, "kept_across")()).To(BeTrue())
		deleteAndWait(b)
		Expect(slotExists(clone, "kept_across")()).To(BeFalse())
	})

	Context("server prerequisites", Ordered, func() {
		var replica *pgtest.Server
		BeforeAll(func() {
			replica = startServer("walreplica", map[string]string{"wal_level": "replica"})
			Expect(replica.CreateRole(bg, "norepl", "norepl-pw", false)).To(Succeed())
		})

		It("reports wal_level too low for a logical slot", func() {
			ns, ps := serverOn(replica)
			rs := logicalSlot(ns, "needs-logical", ps.Name)
			Expect(k8s.Create(bg, rs)).To(Succeed())
			c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonWALLevelTooLow)
			Expect(c.Message).To(ContainSubstring("wal_level"))
			p := waitCondition(ps, api.ConditionPrerequisitesMet, metav1.ConditionFalse, api.ReasonPrerequisitesMissing)
			Expect(p.Message).To(ContainSubstring("set wal_level = logical and restart"))
		})

		It("reports a role without REPLICATION with the ALTER ROLE to run", func() {
			ns := newNamespace()
			createSecret(ns, "pg", "norepl", "norepl-pw")
			ps := createServer(ns, "db", "pg", replica)
			p := waitCondition(ps, api.ConditionPrerequisitesMet, metav1.ConditionFalse, api.ReasonPrerequisitesMissing)
			Expect(p.Message).To(ContainSubstring(`ALTER ROLE "norepl" REPLICATION`))
			rs := physicalSlot(ns, "needs-replication", ps.Name)
			Expect(k8s.Create(bg, rs)).To(Succeed())
			waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonPermissionDenied)
		})
	})
})

// closedPort returns a loopback port nothing listens on.
func closedPort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	Expect(l.Close()).To(Succeed())
	return port
}

// createNamedSlot creates a physical ReplicationSlot whose slot name is
// given, so several objects can declare one slot.
func createNamedSlot(ns, name, server, slot string) *api.ReplicationSlot {
	GinkgoHelper()
	rs := physicalSlot(ns, name, server)
	rs.Spec.SlotName = slot
	Expect(k8s.Create(bg, rs)).To(Succeed())
	return rs
}
