package chaos

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// An owned slot goes missing, and the operator is killed before the loss
// is told: the process that starts next did not see the slot go. What it
// finds must still be judged as what it is: somebody else's slot made
// under the name while it was down (a data gap, and the slot adopted, not
// taken for the one that was lost), or the slot its own cut recreation
// made (a data gap, and the slot its own).
var _ = Describe("a slot lost while the operator restarts", Label("kill", "lost"), func() {
	It("tells the gap when somebody else made the slot again while the operator was down", func() {
		s := newScenario("lostnew")
		rs, before := s.readyLogical("cdc")
		slot := s.prefix() + "cdc"

		By("the role loses REPLICATION and the slot is dropped: the recreation is refused")
		pgExec(s.pg, "ALTER ROLE "+pgx.Identifier{s.role}.Sanitize()+" NOREPLICATION")
		pgExec(s.pg, "SELECT pg_drop_replication_slot($1)", slot)
		Eventually(func() string { return readyReason(rs) }).Should(Equal(api.ReasonPermissionDenied))
		loss := lossOf(rs)
		Expect(loss).NotTo(BeNil(), "status.loss does not record the loss")
		Expect(loss.Reason).To(Equal(api.ReasonMissing))
		Expect(loss.Attempted).To(BeFalse(), "a refused CREATE made nothing")

		By("killing the operator; the consumer makes the slot itself meanwhile, after more changes")
		kill9(operator)
		Expect(lossOf(rs).Attempted).To(BeFalse())
		pgExec(s.pg, "SELECT pg_switch_wal()")
		made := createLogicalAs(s, slot)
		pgExec(s.pg, "ALTER ROLE "+pgx.Identifier{s.role}.Sanitize()+" REPLICATION")
		operator = restart(operator)

		By("the new process tells the gap and adopts the slot as somebody else's")
		st := waitGapTold(rs)
		Expect(st.Origin).To(Equal(api.OriginAdopted), "the slot somebody else made was taken for the one that was lost")
		Expect(st.Vanished).To(Equal(int32(1)))
		Expect(st.Recreations).To(BeZero())
		Expect(st.LastDataGap.FromLSN).To(Equal(before))
		Expect(st.LastDataGap.ToLSN).To(Equal(made))
	})

	It("tells the gap when its own recreation, cut by the kill, made the slot", func() {
		s := newScenario("lostcut")
		rs, before := s.readyLogical("cdc")
		slot := s.prefix() + "cdc"

		By("a transaction stays open, and the slot is dropped: its recreation waits")
		commit := openTransaction(s)
		pgExec(s.pg, "SELECT pg_drop_replication_slot($1)", slot)
		Eventually(func() *api.SlotLoss { return lossOf(rs) }).Should(
			HaveField("Attempted", BeTrue()), "no attempt recorded ahead of the recreation's CREATE")
		Eventually(func() bool { return creating(s, slot) }).Should(BeTrue())

		By("killing the operator; the transaction ends and the cut CREATE makes the slot")
		kill9(operator)
		commit()
		Eventually(func() bool { return creating(s, slot) }).Should(BeFalse())
		Expect(slotExists(s, slot)).To(BeTrue(), "PostgreSQL did not finish the creation of a gone client")
		operator = restart(operator)

		By("the new process takes the slot for its own recreation and tells the gap")
		st := waitGapTold(rs)
		Expect(st.Origin).To(Equal(api.OriginCreated))
		Expect(st.Recreations).To(Equal(int32(1)))
		Expect(st.LastDataGap.FromLSN).To(Equal(before))
	})
})

// A slot moved by spec.location to a standby is made there by a
// recreation; one cut by a kill that went on to make the slot must be
// taken for the move's own after the restart, not stop the move as a
// slot somebody else made on that member.
var _ = Describe("a move whose creation on the new member is cut by a kill", Label("kill", "lost"), func() {
	It("takes the slot it made there for its own after the restart", func() {
		pair, standby := startCopyPair()
		s := newScenarioOn("lostmove", pair, pair.Host, pair.Port)
		addMember(s, standby)
		rs, _ := s.readyLogical("cdc")
		slot := s.prefix() + "cdc"

		By("a transaction stays open on the primary, and the slot moves to the standby: its creation there waits")
		commit := openTransaction(s)
		moveToStandby(rs, standby)
		Eventually(func() *api.SlotLoss { return lossOf(rs) }).Should(SatisfyAll(
			HaveField("Reason", api.ReasonRelocated), HaveField("Member", standby.Addr()), HaveField("Attempted", BeTrue())))
		Eventually(func() bool { return creatingOn(standby, slot) }).Should(BeTrue())

		By("killing the operator; the transaction ends and the cut CREATE makes the slot on the standby")
		kill9(operator)
		commit()
		pgExec(pair, "SELECT pg_log_standby_snapshot()")
		Eventually(func() bool { return creatingOn(standby, slot) }).Should(BeFalse())
		Expect(pgSlotOn(standby, slot)).To(BeTrue(), "PostgreSQL did not finish the creation of a gone client")
		operator = restart(operator)

		By("the new process finishes the move with the slot it made, and drops the one it left")
		Eventually(func() string { return getSlot(rs).Status.Host }).WithTimeout(time.Minute).Should(Equal(standby.Addr()))
		Eventually(func() string { return readyReason(rs) }).Should(Equal(api.ReasonAvailable))
		st := getSlot(rs).Status
		Expect(st.Origin).To(Equal(api.OriginCreated))
		Expect(st.Loss).To(BeNil())
		Eventually(func() bool { return pgSlotOn(pair, slot) }).Should(BeFalse(), "the slot left on the primary stays")
	})
})

// moveToStandby sets the object's spec.location to the standby.
func moveToStandby(rs *api.ReplicationSlot, standby *pgtest.Server) {
	GinkgoHelper()
	Eventually(func() error {
		cur := getSlot(rs)
		cur.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: standby.Host, Port: int32(standby.Port)}
		ctx, cancel := ctxFor(15 * time.Second)
		defer cancel()
		return k8s.Update(ctx, cur)
	}).Should(Succeed())
}

// readyLogical declares a logical slot, waits until it is Ready, and
// returns it with the position it was created at.
func (s *scenario) readyLogical(name string) (*api.ReplicationSlot, string) {
	GinkgoHelper()
	rs := s.slotObject(name, api.SlotLogical)
	rs.Spec.SlotName = s.prefix() + name
	create(rs)
	Eventually(func() (bool, error) { return ownsCreated(s.ns, name) }).Should(BeTrue())
	Eventually(func() string { return getSlot(rs).Status.ConfirmedFlushLSN }).ShouldNot(BeEmpty())
	return rs, getSlot(rs).Status.ConfirmedFlushLSN
}

// waitGapTold waits until the object is Ready with a Missing data gap
// told, and status.loss gone, and returns its status.
func waitGapTold(rs *api.ReplicationSlot) api.ReplicationSlotStatus {
	GinkgoHelper()
	Eventually(func() string {
		c := meta.FindStatusCondition(getSlot(rs).Status.Conditions, api.ConditionDataGap)
		if c == nil || c.Status != "True" {
			return ""
		}
		return c.Reason
	}).WithTimeout(time.Minute).Should(Equal(api.ReasonMissing), "no data gap told")
	Eventually(func() string { return readyReason(rs) }).Should(Equal(api.ReasonAvailable))
	st := getSlot(rs).Status
	Expect(st.Loss).To(BeNil(), "status.loss stays after the loss was told")
	Expect(st.LastDataGap).NotTo(BeNil())
	return st
}

func getSlot(rs *api.ReplicationSlot) *api.ReplicationSlot {
	GinkgoHelper()
	var got api.ReplicationSlot
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	Expect(k8s.Get(ctx, client.ObjectKeyFromObject(rs), &got)).To(Succeed())
	return &got
}

func readyReason(rs *api.ReplicationSlot) string {
	if c := meta.FindStatusCondition(getSlot(rs).Status.Conditions, api.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

func lossOf(rs *api.ReplicationSlot) *api.SlotLoss { return getSlot(rs).Status.Loss }

// createLogicalAs makes the logical slot as a consumer would, and returns
// where it starts.
func createLogicalAs(s *scenario, slot string) string {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	conn, err := s.pg.Connect(ctx, database)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	var lsn string
	Expect(conn.QueryRow(ctx, `SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')`, slot).Scan(&lsn)).To(Succeed())
	return lsn
}

// openTransaction opens a transaction with an xid, which every logical
// slot creation that starts after it waits for, and returns its commit.
func openTransaction(s *scenario) func() {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	conn, err := s.pg.Connect(ctx, database)
	Expect(err).NotTo(HaveOccurred())
	holdXact(ctx, conn)
	return func() {
		GinkgoHelper()
		ctx, cancel := ctxFor(30 * time.Second)
		defer cancel()
		_, err := conn.Exec(ctx, `COMMIT`)
		Expect(err).NotTo(HaveOccurred())
	}
}

// creating: a session holds the slot, as the one creating it does.
func creating(s *scenario, slot string) bool { return creatingOn(s.pg, slot) }

func creatingOn(pg *pgtest.Server, slot string) bool {
	GinkgoHelper()
	slots, err := pgSlots(pg)
	Expect(err).NotTo(HaveOccurred())
	sl, ok := slots[slot]
	return ok && sl.Active
}

func pgSlotOn(pg *pgtest.Server, slot string) bool {
	GinkgoHelper()
	slots, err := pgSlots(pg)
	Expect(err).NotTo(HaveOccurred())
	_, ok := slots[slot]
	return ok
}

// holdXact opens a transaction on conn and gives it an xid, closing conn
// when the spec ends.
func holdXact(ctx context.Context, conn *pgx.Conn) {
	GinkgoHelper()
	// The server may die with the session still open: closing it then
	// fails, which is fine.
	DeferCleanup(func() { _ = conn.Close(context.Background()) })
	_, err := conn.Exec(ctx, `BEGIN`)
	Expect(err).NotTo(HaveOccurred())
	// txid_current() assigns the transaction an xid: only a transaction
	// with one blocks a logical slot's creation.
	_, err = conn.Exec(ctx, `SELECT txid_current()`)
	Expect(err).NotTo(HaveOccurred())
}
