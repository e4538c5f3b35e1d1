package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	// blockedNS holds this story's objects, away from the samples' and the
	// failover specs'.
	blockedNS = "e2e-blocked-restart"
	// blockedSlot is the PostgreSQL name of the ReplicationSlot "blocked-cdc".
	blockedSlot = "blocked_cdc"
	// blockerRole is an application's role, no superuser: the transaction
	// that blocks the creation is an ordinary application's.
	blockerRole     = "e2e_app"
	blockerPassword = "e2e-app"
	blockerAppName  = "e2e-blocker"
	// blockedPollInterval is the server's spec.pollInterval.
	blockedPollInterval = 2 * time.Second
	// stillBlockedFor is how long the slot must stay not Ready after the
	// restart while the transaction is open.
	stillBlockedFor = 5 * time.Second
)

// creationBlocked is the jsonpath of the CreationBlocked condition's status.
const creationBlocked = `{.status.conditions[?(@.type=="CreationBlocked")].status}`

// readyStatus is the jsonpath of the Ready condition's status.
const readyStatus = `{.status.conditions[?(@.type=="Ready")].status}`

// blockedManifest is serverManifest for primary alone, with a logical slot
// "blocked-cdc".
func blockedManifest(primary *pgtest.Server) string {
	return serverManifest(blockedNS, blockedPollInterval, primary) + fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: blocked-cdc, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[2]s}
`, blockedNS, harness.Database)
}

// Issue: restart safety of blocked creation. A logical slot's creation waits
// for a transaction that holds an xid; the operator restarts meanwhile. The
// waiting session of the old process may outlive it in PostgreSQL, so the new
// process must neither duplicate the creation nor fail on the slot the old
// session leaves behind.
var _ = Describe("a blocked logical slot creation across an operator restart", Ordered, func() {
	var (
		primary *pgtest.Server
		tx      *pgx.Conn
		txPid   uint32
	)

	BeforeAll(func(ctx SpecContext) {
		var err error
		primary, err = harness.StartPrimary(ctx, 17)
		Expect(err).NotTo(HaveOccurred())
		// Registered first, so it runs last: the objects go while
		// PostgreSQL still answers.
		DeferCleanup(primary.Cleanup)
		Expect(primary.CreateRole(ctx, blockerRole, blockerPassword, false)).To(Succeed())

		cfg, err := pgx.ParseConfig(primary.DSN(blockerRole, blockerPassword, harness.Database))
		Expect(err).NotTo(HaveOccurred())
		cfg.RuntimeParams["application_name"] = blockerAppName
		tx, err = pgx.ConnectConfig(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = tx.Close(context.Background()) })
		// Runs first: the slot goes (or its waiting creation is cancelled)
		// while PostgreSQL still answers.
		DeferCleanup(deleteFailoverObjects, blockedNS)
		txPid = tx.PgConn().PID()
		_, err = tx.Exec(ctx, "BEGIN")
		Expect(err).NotTo(HaveOccurred())
		var xid int64
		Expect(tx.QueryRow(ctx, "SELECT txid_current()").Scan(&xid)).To(Succeed())
		Expect(xid).To(BeNumerically(">", 0))
	}, NodeTimeout(2*time.Minute))

	It("waits for the transaction and reports it", func() {
		kubectlIn(blockedManifest(primary), "apply", "-f", "-")
		Eventually(jsonpath("rslot/blocked-cdc", creationBlocked, "-n", blockedNS)).Should(Equal("True"))
		Eventually(jsonpath("rslot/blocked-cdc", "{.status.blockers[0].pid}", "-n", blockedNS)).
			Should(Equal(strconv.FormatUint(uint64(txPid), 10)))
		Expect(kubectl("get", "rslot/blocked-cdc", "-n", blockedNS, "-o", "jsonpath="+readyStatus)).
			NotTo(Equal("True"))
		Eventually(func() (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			return kctl.Output(ctx, "get", "events", "-n", blockedNS, "--field-selector", "reason=WaitingForTransactions",
				"-o", `jsonpath={range .items[*]}{.involvedObject.kind}/{.involvedObject.name} {.type}{"\n"}{end}`)
		}).Should(ContainSubstring("ReplicationSlot/blocked-cdc Warning"))
	})

	It("neither becomes Ready nor duplicates the slot after a restart while the transaction is open", func() {
		Expect(operator.Stop(operatorStopGrace)).To(BeFalse(), "the operator needed SIGKILL to stop")
		// Whatever fails below, later specs need an operator.
		DeferCleanup(restartOperatorIfDown)
		Expect(operator.Exited()).To(BeTrue())
		restartOperatorIfDown()

		Consistently(jsonpath("rslot/blocked-cdc", readyStatus, "-n", blockedNS)).
			WithTimeout(stillBlockedFor).ShouldNot(Equal("True"), "Ready while the blocking transaction is open")
		Consistently(slotCount(primary, blockedSlot)).WithTimeout(time.Second).Should(BeNumerically("<=", 1))
		AddReportEntry("after the restart, while blocked", strings.TrimSpace(kubectl("get", "rslot/blocked-cdc",
			"-n", blockedNS, "-o", `jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}`)))
		AddReportEntry("creating sessions on the primary", creatingSessions(primary))
	})

	It("creates the slot once when the transaction ends", func() {
		_, err := tx.Exec(context.Background(), "COMMIT")
		Expect(err).NotTo(HaveOccurred())
		committed := time.Now()
		kubectl("wait", "--for=condition=Ready", "rslot/blocked-cdc", "-n", blockedNS, "--timeout=60s")
		AddReportEntry("commit to Ready", time.Since(committed).Round(time.Millisecond).String())
		Expect(slotCount(primary, blockedSlot)()).To(Equal(1))
		Eventually(jsonpath("rslot/blocked-cdc", creationBlocked, "-n", blockedNS)).ShouldNot(Equal("True"))

		log, err := operator.Log()
		Expect(err).NotTo(HaveOccurred())
		Expect(slotErrors(newProcessLog(log))).To(BeEmpty(),
			"the new operator process met the slot the old one's session created")
	})
})

// slotCount is a poller of how many slots named name PostgreSQL shows.
func slotCount(server *pgtest.Server, name string) func() (int, error) {
	return func() (int, error) {
		slots, err := harness.Slots(context.Background(), server)
		n := 0
		for _, s := range slots {
			if s.Name == name {
				n++
			}
		}
		return n, err
	}
}

// creatingSessions lists the backends running a slot creation, for the
// report: pid, application, state, wait event and query start.
func creatingSessions(server *pgtest.Server) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := server.Connect(ctx, "postgres")
	if err != nil {
		return err.Error()
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT format('%s %s %s %s/%s %s', pid, application_name, state,
		coalesce(wait_event_type, ''), coalesce(wait_event, ''), query_start)
		FROM pg_stat_activity WHERE query ILIKE '%create_logical_replication_slot%' AND pid <> pg_backend_pid()`)
	if err != nil {
		return err.Error()
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err.Error()
	}
	return strings.Join(lines, "\n")
}

// restartMarker is the line the harness writes before a new process's log.
const restartMarker = "--- harness: operator started again"

// newProcessLog is the log of the latest operator process.
func newProcessLog(log string) string {
	if i := strings.LastIndex(log, restartMarker); i >= 0 {
		return log[i:]
	}
	return log
}

// slotExistsError is PostgreSQL's duplicate_object, as an error or reason.
var slotExistsError = regexp.MustCompile(`(?i)already exists|42710|SlotExists`)

// slotErrors are the log lines about this story's slot that say it
// already existed.
func slotErrors(log string) []string {
	var found []string
	for _, line := range linesMatching(log, slotExistsError) {
		if strings.Contains(line, blockedNS) || strings.Contains(line, blockedSlot) || strings.Contains(line, "blocked-cdc") {
			found = append(found, line)
		}
	}
	return found
}
