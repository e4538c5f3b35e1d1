package status

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// PostgreSQL 19's slotsync_skip_reason explains a synced copy that is not
// ready. The values come from PostgreSQL's 19 documentation; untested
// against a real 19.
func TestFailoverReadySyncSkipReason(t *testing.T) {
	const pg19 = 190000
	row := logicalRow("0/5000000", true)
	in := func(standbys ...observation.Member) FailoverInputs {
		return foInputs(api.SlotLogical, pg19, row, standbys...)
	}
	ok := syncSettings("sb1")
	skipped := func(reason string, mod func(*postgres.Slot)) postgres.Slot {
		s := syncedAt("0/4FFF000")
		s.SlotSyncSkipReason = reason
		mod(&s)
		return s
	}
	temp := func(s *postgres.Slot) { s.Temporary = true }
	runFailoverCases(t, []failoverCase{
		{name: "temporary, WAL or rows removed", in: in(standby("pg-1", pg19, ok, skipped("wal_or_rows_removed", temp))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg:   []string{pg1 + ": the copy is still temporary", "slotsync_skip_reason wal_or_rows_removed", "already removed"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "wal_or_rows_removed")}},
		{name: "temporary, WAL not flushed", in: in(standby("pg-1", pg19, ok, skipped("wal_not_flushed", temp))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg:   []string{"slotsync_skip_reason wal_not_flushed", "replication lag"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "wal_not_flushed")}},
		{name: "temporary, no consistent snapshot", in: in(standby("pg-1", pg19, ok, skipped("no_consistent_snapshot", temp))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg:   []string{"slotsync_skip_reason no_consistent_snapshot", "pg_log_standby_snapshot()"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "no_consistent_snapshot")}},
		{name: "invalidated", in: in(standby("pg-1", pg19, ok, skipped("slot_invalidated", func(s *postgres.Slot) { s.InvalidationReason = "wal_removed" }))),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced,
			msg:   []string{"invalidated (wal_removed)", "slotsync_skip_reason slot_invalidated", "max_slot_wal_keep_size"},
			views: []wantView{view("pg-1", true, true, true, false, i64(0x1000), "slot_invalidated")}},
		{name: "a reason PostgreSQL adds later is shown as is", in: in(standby("pg-1", pg19, ok, skipped("new_reason", temp))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet, msg: []string{"(slotsync_skip_reason new_reason)"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "new_reason")}},
		{name: "no reason, no note", in: in(standby("pg-1", pg19, ok, skipped("", temp))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet, notMsg: []string{"slotsync_skip_reason"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "still temporary")}},
	})
}
