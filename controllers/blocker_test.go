package controllers_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// allowingServer is a new namespace with a server "db" whose owner allows
// its slots to terminate blockers.
func allowingServer(members ...*pgtest.Server) (string, *api.PostgresServer) {
	ns := newNamespace()
	createSecret(ns, "pg", opRole, opPassword)
	return ns, createServerWith(ns, "db", "pg", func(ps *api.PostgresServer) {
		ps.Spec.Blockers = &api.BlockersSpec{Terminate: api.TerminateAllowed}
	}, members...)
}

// tenantTransaction opens, as role app in database db, a transaction with
// an xid whose last query carries marker; it is closed with the spec.
func tenantTransaction(db, app, marker string) (pid int32, conn *pgx.Conn) {
	ctx := context.Background()
	Expect(primary.CreateRole(ctx, "app", "app-pw", false)).To(Succeed())
	conn, err := pgx.Connect(ctx, primary.DSN("app", "app-pw", db)+"&application_name="+app)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(ctx, "BEGIN")
	Expect(err).NotTo(HaveOccurred())
	Expect(conn.QueryRow(ctx, "SELECT pg_backend_pid(), pg_current_xact_id()::text, '"+marker+"'").
		Scan(&pid, new(string), new(string))).To(Succeed())
	return pid, conn
}

var _ = Describe("blockers of a creation (issue 15: items 3 and 5)", func() {
	It("are never terminated unless the PostgresServer allows it, and the message says so", func() {
		Expect(primary.Exec(bg, "GRANT pg_signal_backend TO "+opRole)).To(Succeed())
		DeferCleanup(func() { _ = primary.Exec(bg, "REVOKE pg_signal_backend FROM "+opRole) })
		ns, ps := defaultServer()
		Expect(get(ps).Spec.Blockers).To(Equal(&api.BlockersSpec{Terminate: api.TerminateNever, QueryText: api.QueryTextHidden}))
		pid, conn := tenantTransaction("orders", "shop", "secret-marker-own")
		rs := logicalSlot(ns, "not-allowed", ps.Name)
		rs.Spec.TerminateBlockersAfter = api.NewDuration(time.Second)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionTrue, api.ReasonWaitingForTransactions)
		Expect(c.Message).To(ContainSubstring(fmt.Sprintf("pid %d", pid)))
		Expect(c.Message).To(ContainSubstring("PostgresServer db does not allow terminating blockers"))

		By("status names the session of the slot's database, without its query text")
		Expect(rs.Status.Blockers).To(ConsistOf(And(HaveField("PID", pid), HaveField("ApplicationName", "shop"),
			HaveField("Database", "orders"), HaveField("Query", ""))))

		By("the blocker outlives terminateBlockersAfter several times over")
		Consistently(func() error { return conn.Ping(bg) }, "4s", "250ms").Should(Succeed())
		Expect(eventNotes(ns, "BlockerTerminated")()).To(BeEmpty())

		_, err := conn.Exec(bg, "COMMIT")
		Expect(err).NotTo(HaveOccurred())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	})

	It("count sessions of other databases without naming them", func() {
		ns, ps := defaultServer()
		pid, conn := tenantTransaction("postgres", "other-tenant", "secret-marker-other")
		rs := logicalSlot(ns, "other-db", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(get(rs).Status.OtherBlockers).To(Equal(int32(1)))
		}).Should(Succeed())
		c := waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionTrue, api.ReasonWaitingForTransactions)
		Expect(c.Message).To(ContainSubstring("1 transaction(s) in other databases block it"))
		Expect(rs.Status.Blockers).To(BeEmpty())
		for _, leak := range []string{"other-tenant", "secret-marker-other", "pid " + strconv.Itoa(int(pid))} {
			Expect(c.Message).NotTo(ContainSubstring(leak))
			for _, cond := range rs.Status.Conditions {
				Expect(cond.Message).NotTo(ContainSubstring(leak))
			}
		}
		_, err := conn.Exec(bg, "COMMIT")
		Expect(err).NotTo(HaveOccurred())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionFalse, api.ReasonNotBlocked)
		Expect(rs.Status.OtherBlockers).To(BeZero())
	})

	It("show query text only when the PostgresServer opts in", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := createServerWith(ns, "db", "pg", func(ps *api.PostgresServer) {
			ps.Spec.Blockers = &api.BlockersSpec{QueryText: api.QueryTextShown}
		}, primary, standby)
		pid, conn := tenantTransaction("orders", "shop", "visible-marker")
		rs := logicalSlot(ns, "shown", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionCreationBlocked, metav1.ConditionTrue, api.ReasonWaitingForTransactions)
		Expect(rs.Status.Blockers).To(ConsistOf(And(HaveField("PID", pid), HaveField("Query", ContainSubstring("visible-marker")))))
		_, err := conn.Exec(bg, "COMMIT")
		Expect(err).NotTo(HaveOccurred())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
	})
})
