package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// A consumer that confirmed changes the standby had not received when the
// primary died is ahead of the promoted standby: the window of those
// changes is reported, and the data gap begins where the new timeline
// forked, never reversed.
var _ = Describe("a consumer ahead of the new primary", func() {
	It("reports exactly the changes the consumer has and the promoted standby lacks", func() {
		primary := startServer("ahead-primary", nil)
		proxy, err := pgtest.StartProxy(primary.Addr())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		standby, err := primary.AddStandby(bg, "standby_ahead", map[string]string{"primary_conninfo": fmt.Sprintf(
			"host=%s port=%d user=postgres application_name=standby_ahead dbname=postgres connect_timeout=5", proxy.Host(), proxy.Port())})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(standby.Cleanup)
		_, ps := serverOn(primary, standby)
		lg := logicalSlot(ps.Namespace, "ahead", ps.Name)
		lg.Spec.Plugin = "test_decoding"
		Expect(k8s.Create(bg, lg)).To(Succeed())
		waitCondition(lg, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)

		By("rows 1-10 reach the standby and the consumer")
		sqlOn(primary, "CREATE TABLE t(id int PRIMARY KEY)", "INSERT INTO t SELECT generate_series(1, 10)")
		consumed := consume(primary, "ahead")
		Expect(consumed).To(HaveLen(10))
		replayedOn(standby, currentLSN(primary))

		By("rows 11-20 reach only the consumer: the standby is cut off")
		proxy.Blackhole(true)
		sqlOn(primary, "INSERT INTO t SELECT generate_series(11, 20)")
		ahead := consume(primary, "ahead")
		Expect(ahead).To(HaveLen(10))
		confirmed := slotPosition(primary, "ahead")
		time.Sleep(3 * time.Second) // three polls: the operator has seen the consumer's position

		By("the primary crashes and the standby is promoted")
		Expect(primary.Crash()).To(Succeed())
		Expect(standby.Promote(context.Background())).To(Succeed())
		fork := forkOf(standby)

		c := waitCondition(lg, api.ConditionDataGap, metav1.ConditionTrue, api.ReasonConsumerAhead)
		gap := get(lg).Status.LastDataGap
		Expect(gap.ConsumerAhead).NotTo(BeNil())
		Expect(gap.ConsumerAhead.FromLSN).To(Equal(fork.String()))
		Expect(gap.ConsumerAhead.ToLSN).To(Equal(confirmed.String()))
		Expect(gap.ConsumerAhead.Timeline).To(Equal(int64(1)))
		Expect(gap.FromLSN).To(Equal(fork.String()), "the gap begins at the fork")
		start, err := postgres.ParseLSN(gap.ToLSN)
		Expect(err).NotTo(HaveOccurred())
		Expect(start).To(BeNumerically(">=", fork), "never reversed")
		Expect(c.Message).To(ContainSubstring(confirmed.String()))

		By("the window holds exactly the consumer's rows the new primary lacks")
		for _, ch := range consumed {
			Expect(ch.lsn).To(BeNumerically("<", fork), "row %d reached the standby", ch.id)
		}
		for _, ch := range ahead {
			Expect(ch.lsn).To(BeNumerically(">=", fork))
			Expect(ch.lsn).To(BeNumerically("<=", confirmed))
		}
		Expect(countRows(standby, "SELECT count(*) FROM t WHERE id <= 10")).To(Equal(10))
		Expect(countRows(standby, "SELECT count(*) FROM t WHERE id > 10")).To(Equal(0))
		Eventually(eventNotes(lg.Namespace, api.ReasonConsumerAhead)).Should(ContainElement(ContainSubstring(confirmed.String())))
	})
})

type change struct {
	lsn postgres.LSN
	id  int
}

func sqlOn(s *pgtest.Server, stmts ...string) {
	conn, err := s.Connect(bg, "orders")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	// Decoding reads only flushed WAL: commit as a consumer's source would.
	stmts = append([]string{"SET synchronous_commit = on"}, stmts...)
	for _, q := range stmts {
		_, err := conn.Exec(bg, q)
		Expect(err).NotTo(HaveOccurred())
	}
}

// consume reads and confirms the slot's pending changes, as a consumer
// does, and returns the rows inserted with the position of each.
func consume(s *pgtest.Server, slot string) []change {
	conn, err := s.Connect(bg, "orders")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(bg, "SELECT lsn::text, data FROM pg_logical_slot_get_changes($1, NULL, NULL)", slot)
	Expect(err).NotTo(HaveOccurred())
	defer rows.Close()
	var out []change
	for rows.Next() {
		var at, data string
		Expect(rows.Scan(&at, &data)).To(Succeed())
		if !strings.HasPrefix(data, "table public.t: INSERT:") {
			GinkgoWriter.Printf("decoded %s %s\n", at, data)
			continue
		}
		var id int
		_, err := fmt.Sscanf(data[strings.LastIndex(data, ":")+1:], "%d", &id)
		Expect(err).NotTo(HaveOccurred())
		l, err := postgres.ParseLSN(at)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, change{lsn: l, id: id})
	}
	Expect(rows.Err()).NotTo(HaveOccurred())
	return out
}

func lsnQuery(s *pgtest.Server, q string, args ...any) postgres.LSN {
	conn, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	var at string
	Expect(conn.QueryRow(bg, q, args...).Scan(&at)).To(Succeed())
	l, err := postgres.ParseLSN(at)
	Expect(err).NotTo(HaveOccurred())
	return l
}

func currentLSN(s *pgtest.Server) postgres.LSN {
	return lsnQuery(s, "SELECT pg_current_wal_lsn()::text")
}

func slotPosition(s *pgtest.Server, slot string) postgres.LSN {
	return lsnQuery(s, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", slot)
}

func replayedOn(standby *pgtest.Server, at postgres.LSN) {
	Eventually(func() postgres.LSN {
		return lsnQuery(standby, "SELECT pg_last_wal_replay_lsn()::text")
	}).Should(BeNumerically(">=", at))
}

// forkOf reads where timeline 1 ended from the promoted server's history
// file, as superuser: the test's own measure, not the operator's.
func forkOf(s *pgtest.Server) postgres.LSN {
	conn, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	var history string
	Expect(conn.QueryRow(bg, "SELECT pg_read_file('pg_wal/00000002.history')").Scan(&history)).To(Succeed())
	fields := strings.Fields(history)
	Expect(len(fields)).To(BeNumerically(">=", 2))
	Expect(fields[0]).To(Equal("1"))
	l, err := postgres.ParseLSN(fields[1])
	Expect(err).NotTo(HaveOccurred())
	return l
}

func countRows(s *pgtest.Server, q string) int {
	conn, err := s.Connect(bg, "orders")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	Expect(conn.QueryRow(bg, q).Scan(&n)).To(Succeed())
	return n
}
