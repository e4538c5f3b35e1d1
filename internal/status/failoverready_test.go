package status

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

const (
	foSlot = "orders"
	pg15   = 150008
	pg16   = 160004
	pg17   = 170010
	// pg1 and pg2 are the standbys' addresses, as Addr() prints them.
	pg1 = "pg-1:5432"
	pg2 = "pg-2:5432"
)

func lsn(s string) *postgres.LSN {
	l, err := postgres.ParseLSN(s)
	if err != nil {
		panic(err)
	}
	return &l
}

// foMember is a reachable member of one cluster running versionNum.
func foMember(host string, recovery bool, versionNum int, s postgres.Settings, slots ...postgres.Slot) observation.Member {
	m := observation.Member{Endpoint: observation.Endpoint{Host: host, Port: 5432},
		Identity: &postgres.Identity{InRecovery: recovery, SystemIdentifier: "7", VersionNum: versionNum,
			Version: fmt.Sprintf("%d.%d", versionNum/10000, versionNum%10000), Settings: s},
		Slots: map[string]postgres.Slot{}}
	for _, sl := range slots {
		m.Slots[sl.Name] = sl
	}
	return m
}

// syncSettings meet every standby prerequisite of PostgreSQL 17's slot sync
// (and so of the copies slotkeeper keeps on 16).
func syncSettings(primarySlot string) postgres.Settings {
	return postgres.Settings{WALLevel: "logical", HotStandbyFeedback: "on", SyncReplicationSlots: "on",
		PrimarySlotName: primarySlot, PrimaryConnInfo: "host=pg-0 user=replicator dbname=postgres"}
}

// keptSettings meet the PostgreSQL 16 prerequisites only.
func keptSettings(primarySlot string) postgres.Settings {
	return postgres.Settings{WALLevel: "logical", HotStandbyFeedback: "on", PrimarySlotName: primarySlot,
		PrimaryConnInfo: "host=pg-0 user=replicator"}
}

func standby(host string, versionNum int, s postgres.Settings, slots ...postgres.Slot) observation.Member {
	return foMember(host, true, versionNum, s, slots...)
}

// foInputs builds the inputs for a slot on primary pg-0 running versionNum.
func foInputs(typ api.SlotType, versionNum int, row *postgres.Slot, standbys ...observation.Member) FailoverInputs {
	members := append([]observation.Member{foMember("pg-0", false, versionNum, postgres.Settings{WALLevel: "logical"})}, standbys...)
	snap := observation.NewSnapshot(time.Now(), "", members)
	return FailoverInputs{Generation: 4, Strategy: copies.For(typ, true, snap.PrimaryMember().Identity), Name: foSlot, Snapshot: snap, Row: row}
}

func logicalRow(confirmed string, failover bool) *postgres.Slot {
	return &postgres.Slot{Name: foSlot, Type: "logical", ConfirmedFlushLSN: lsn(confirmed), Failover: failover}
}

// copyAt is a logical copy on a standby confirmed at confirmed.
func copyAt(confirmed string) postgres.Slot {
	return postgres.Slot{Name: foSlot, Type: "logical", ConfirmedFlushLSN: lsn(confirmed), WALStatus: "reserved"}
}

// syncedAt is a copy PostgreSQL 17's sync worker made.
func syncedAt(confirmed string) postgres.Slot {
	s := copyAt(confirmed)
	s.Synced, s.Failover = true, true
	return s
}

func physicalAt(restart string) postgres.Slot {
	return postgres.Slot{Name: foSlot, Type: "physical", RestartLSN: lsn(restart), WALStatus: "reserved"}
}

func rec(host, start string, consistent bool) api.SlotCopy {
	return api.SlotCopy{Host: host, Port: 5432, StartLSN: start, Consistent: consistent}
}

func with(in FailoverInputs, f func(*FailoverInputs)) FailoverInputs {
	f(&in)
	return in
}

// wantView is the expected view of one standby; Message is a substring
// (empty: the view must have no message). partial compares only Ready,
// Synced and Message.
type wantView struct {
	api.StandbySlot
	partial bool
}

func view(host string, present, synced, persistent, ready bool, lag *int64, msg string) wantView {
	return wantView{StandbySlot: api.StandbySlot{Host: host, Port: 5432, Present: present, Synced: synced,
		Persistent: persistent, Ready: ready, LagBytes: lag, Message: msg}}
}

func checkView(t *testing.T, got api.StandbySlot, want wantView) {
	t.Helper()
	if got.Host != want.Host || got.Port != want.Port || got.Ready != want.Ready || got.Synced != want.Synced {
		t.Errorf("view %+v, want %+v", got, want.StandbySlot)
	}
	if want.Message == "" && got.Message != "" || !strings.Contains(got.Message, want.Message) {
		t.Errorf("view %s:%d message %q, want %q", got.Host, got.Port, got.Message, want.Message)
	}
	if want.partial {
		return
	}
	if got.Present != want.Present || got.Persistent != want.Persistent {
		t.Errorf("view %+v, want %+v", got, want.StandbySlot)
	}
	switch {
	case (got.LagBytes == nil) != (want.LagBytes == nil):
		t.Errorf("view %s:%d lagBytes %v, want %v", got.Host, got.Port, got.LagBytes, want.LagBytes)
	case got.LagBytes != nil && *got.LagBytes != *want.LagBytes:
		t.Errorf("view %s:%d lagBytes %d, want %d", got.Host, got.Port, *got.LagBytes, *want.LagBytes)
	}
}

type failoverCase struct {
	name   string
	in     FailoverInputs
	status metav1.ConditionStatus
	reason string
	msg    []string // substrings of the condition's message
	notMsg []string // nor these
	views  []wantView
}

func runFailoverCases(t *testing.T, cases []failoverCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, views := FailoverReady(tc.in)
			if c == nil {
				t.Fatal("no condition")
			}
			if c.Type != api.ConditionFailoverReady || c.ObservedGeneration != tc.in.Generation {
				t.Errorf("condition %+v", c)
			}
			if c.Status != tc.status || c.Reason != tc.reason {
				t.Errorf("got %s/%s (%q), want %s/%s", c.Status, c.Reason, c.Message, tc.status, tc.reason)
			}
			if c.Message == "" {
				t.Error("empty message")
			}
			for _, s := range tc.msg {
				if !strings.Contains(c.Message, s) {
					t.Errorf("message %q lacks %q", c.Message, s)
				}
			}
			for _, s := range tc.notMsg {
				if strings.Contains(c.Message, s) {
					t.Errorf("message %q has %q", c.Message, s)
				}
			}
			if tc.views == nil {
				if views != nil {
					t.Errorf("views %+v, want none", views)
				}
				return
			}
			if len(views) != len(tc.views) {
				t.Fatalf("views %+v, want %d", views, len(tc.views))
			}
			for i := range views {
				checkView(t, views[i], tc.views[i])
			}
		})
	}
}

func TestFailoverReadyGeneral(t *testing.T) {
	row := logicalRow("0/3000000", true)
	sb := standby("pg-1", pg17, syncSettings("sb1"), syncedAt("0/3000000"))
	unreachable := observation.Member{Endpoint: observation.Endpoint{Host: "pg-2", Port: 5432},
		Err: &postgres.Error{Reason: postgres.ReasonServerUnavailable, Message: "down"}}
	runFailoverCases(t, []failoverCase{
		{name: "no primary", in: FailoverInputs{Generation: 2, Strategy: copies.Native, Name: foSlot, Row: row,
			Snapshot: observation.NewSnapshot(time.Now(), "", []observation.Member{sb})},
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"not on a reachable primary"}},
		{name: "split brain has no primary", in: FailoverInputs{Generation: 2, Strategy: copies.Native, Name: foSlot, Row: row,
			Snapshot: observation.NewSnapshot(time.Now(), "", []observation.Member{foMember("pg-0", false, pg17, syncSettings("")),
				otherServer(foMember("pg-9", false, pg17, syncSettings(""))), sb})},
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"not on a reachable primary"}},
		{name: "slot not on the primary", in: foInputs(api.SlotLogical, pg17, nil, sb),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"not on a reachable primary"}},
		{name: "physical slot not on the primary", in: foInputs(api.SlotPhysical, pg17, nil, sb),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"not on a reachable primary"}},
		{name: "no standby", in: foInputs(api.SlotLogical, pg17, row),
			status: metav1.ConditionFalse, reason: api.ReasonNoStandbys, msg: []string{"no reachable standby"}},
		{name: "unreachable standby does not count", in: foInputs(api.SlotLogical, pg17, row, unreachable),
			status: metav1.ConditionFalse, reason: api.ReasonNoStandbys, msg: []string{"no reachable standby"}},
		{name: "no standby on 15 either", in: foInputs(api.SlotLogical, pg15, row),
			status: metav1.ConditionFalse, reason: api.ReasonNoStandbys},
		{name: "logical on 15", in: foInputs(api.SlotLogical, pg15, row, standby("pg-1", pg15, syncSettings("sb1"), copyAt("0/3000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonUnsupported,
			msg: []string{"PostgreSQL 16", "17", "the primary runs 15.8", "data gap"}},
	})
}

func TestFailoverReadyKeptLogical(t *testing.T) {
	// The consumer has confirmed 0/3000000 on the primary.
	row := logicalRow("0/3000000", false)
	in := func(copies []api.SlotCopy, standbys ...observation.Member) FailoverInputs {
		return with(foInputs(api.SlotLogical, pg16, row, standbys...), func(in *FailoverInputs) { in.Copies = copies })
	}
	ok := keptSettings("sb1")
	noFeedback := ok
	noFeedback.HotStandbyFeedback = "off"
	bare := postgres.Settings{}
	conflicting := copyAt("0/3000000")
	conflicting.Conflicting = true
	lost := copyAt("0/3000000")
	lost.WALStatus = "lost"
	former := rec("pg-1", "0/1000000", true)
	former.Former = true
	note := "creating a copy on this standby: waiting for 2 transaction(s) on the primary to end"

	runFailoverCases(t, []failoverCase{
		{name: "hot_standby_feedback off", in: in(nil, standby("pg-1", pg16, noFeedback)),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg:    []string{pg1 + ": set hot_standby_feedback = on"},
			notMsg: []string{"primary_slot_name", "wal_level", "sync_replication_slots", "dbname"},
			views:  []wantView{view("pg-1", false, false, false, false, nil, "set hot_standby_feedback = on")}},
		{name: "every kept-copy prerequisite missing", in: in(nil, standby("pg-1", pg16, bare)),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg:    []string{"set hot_standby_feedback = on; set primary_slot_name; set wal_level = logical"},
			notMsg: []string{"sync_replication_slots", "dbname"},
			views:  []wantView{view("pg-1", false, false, false, false, nil, "set wal_level = logical")}},
		{name: "a note does not replace a prerequisite",
			in: with(in([]api.SlotCopy{rec("pg-1", "0/1000000", true)}, standby("pg-1", pg16, noFeedback, copyAt("0/3000000"))),
				func(in *FailoverInputs) { in.Notes = map[string]string{pg1: note} }),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg: []string{"hot_standby_feedback = on"}, notMsg: []string{note},
			views: []wantView{view("pg-1", true, false, true, false, i64(0), "hot_standby_feedback = on")}},
		{name: "no copy", in: in(nil, standby("pg-1", pg16, ok)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "slot present but not recorded", in: in(nil, standby("pg-1", pg16, ok, copyAt("0/3000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "slot present but not recorded, with a note",
			in: with(in(nil, standby("pg-1", pg16, ok, copyAt("0/3000000"))),
				func(in *FailoverInputs) { in.Notes = map[string]string{pg1: note} }),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced,
			msg: []string{pg1 + ": " + note}, notMsg: []string{"no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, note)}},
		{name: "a note for another standby is ignored",
			in: with(in(nil, standby("pg-1", pg16, ok)),
				func(in *FailoverInputs) { in.Notes = map[string]string{pg2: note} }),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced,
			msg: []string{"no copy yet"}, notMsg: []string{note},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "recorded copy begins after the consumer's position",
			in:     in([]api.SlotCopy{rec("pg-1", "0/3000100", false)}, standby("pg-1", pg16, ok, copyAt("0/3000100"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg:   []string{pg1 + ": the copy begins at 0/3000100", "confirmed position 0/3000000", "confirms past 0/3000100"},
			views: []wantView{view("pg-1", true, false, true, false, nil, "begins at 0/3000100")}},
		{name: "primary has confirmed nothing yet",
			in: with(in([]api.SlotCopy{rec("pg-1", "0/3000100", false)}, standby("pg-1", pg16, ok, copyAt("0/3000100"))),
				func(in *FailoverInputs) { in.Row = &postgres.Slot{Name: foSlot, Type: "logical"} }),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg:   []string{"0/3000100", "(none yet)"},
			views: []wantView{view("pg-1", true, false, true, false, nil, "(none yet)")}},
		{name: "recorded copy marked consistent",
			in:     in([]api.SlotCopy{rec("pg-1", "0/3000100", true)}, standby("pg-1", pg16, ok, copyAt("0/3000100"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, msg: []string{"every standby (1)"},
			views: []wantView{view("pg-1", true, true, true, true, nil, "")}},
		{name: "consumer confirmed past the start, not yet marked consistent",
			in:     in([]api.SlotCopy{rec("pg-1", "0/2FFF000", false)}, standby("pg-1", pg16, ok, copyAt("0/2FFF000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, i64(0x1000), "")}},
		{name: "consumer confirmed exactly the start",
			in:     in([]api.SlotCopy{rec("pg-1", "0/3000000", false)}, standby("pg-1", pg16, ok, copyAt("0/3000000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, i64(0), "")}},
		{name: "conflicting copy",
			in:     in([]api.SlotCopy{rec("pg-1", "0/1000000", true)}, standby("pg-1", pg16, ok, conflicting)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced,
			msg:   []string{pg1 + ": the copy is invalidated", "hot_standby_feedback"},
			views: []wantView{view("pg-1", true, false, true, false, i64(0), "invalidated")}},
		{name: "copy lost its WAL",
			in:     in([]api.SlotCopy{rec("pg-1", "0/1000000", true)}, standby("pg-1", pg16, ok, lost)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"invalidated"},
			views: []wantView{view("pg-1", true, false, true, false, i64(0), "invalidated")}},
		{name: "former primary's stale slot",
			in:     in([]api.SlotCopy{former}, standby("pg-1", pg16, ok, copyAt("0/3000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": no copy yet"},
			views: []wantView{{StandbySlot: api.StandbySlot{Host: "pg-1", Port: 5432, Message: "no copy yet"}, partial: true}}},
		{name: "copy recorded for another port",
			in: in([]api.SlotCopy{{Host: "pg-1", Port: 5433, StartLSN: "0/1000000", Consistent: true}},
				standby("pg-1", pg16, ok, copyAt("0/3000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "16 ignores the failover property and sync settings",
			in: in([]api.SlotCopy{rec("pg-1", "0/1000000", true), rec("pg-2", "0/1000000", true)},
				standby("pg-1", pg16, ok, copyAt("0/3000000")), standby("pg-2", pg16, ok, copyAt("0/2000000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, msg: []string{"every standby (2)"},
			views: []wantView{view("pg-1", true, true, true, true, i64(0), ""),
				view("pg-2", true, true, true, true, i64(0x1000000), "")}},
		{name: "one kept copy ready, one not yet consistent",
			in: in([]api.SlotCopy{rec("pg-1", "0/1000000", true), rec("pg-2", "0/4000000", false)},
				standby("pg-1", pg16, ok, copyAt("0/3000000")), standby("pg-2", pg16, ok, copyAt("0/4000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg: []string{pg2 + ": the copy begins at 0/4000000"}, notMsg: []string{pg1},
			views: []wantView{view("pg-1", true, true, true, true, i64(0), ""),
				view("pg-2", true, false, true, false, nil, "begins at 0/4000000")}},
	})
}

func TestFailoverReadySynced(t *testing.T) {
	row := logicalRow("0/5000000", true)
	in := func(standbys ...observation.Member) FailoverInputs {
		return foInputs(api.SlotLogical, pg17, row, standbys...)
	}
	ok := syncSettings("sb1")
	noSync := ok
	noSync.SyncReplicationSlots = "off"
	noDBName := ok
	noDBName.PrimaryConnInfo = "host=pg-0 user=replicator"
	both := noSync
	both.PrimaryConnInfo = noDBName.PrimaryConnInfo
	leftover := copyAt("0/5000000")
	temporary := syncedAt("0/4FFF000")
	temporary.Temporary = true
	invalidated := syncedAt("0/4000000")
	invalidated.InvalidationReason = "rows_removed"
	note := "cannot advance the copy: boom"
	flagNote := "cannot switch failover on while the slot is held (pid 42); slotkeeper retries once the consumer releases it"

	runFailoverCases(t, []failoverCase{
		{name: "failover property off", in: with(in(standby("pg-1", pg17, ok, syncedAt("0/5000000"))),
			func(in *FailoverInputs) { in.Row = logicalRow("0/5000000", false) }),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"failover property is off", "ALTER_REPLICATION_SLOT"}},
		{name: "failover property off, with a flag note", in: with(in(standby("pg-1", pg17, ok)), func(in *FailoverInputs) {
			in.Row = logicalRow("0/5000000", false)
			in.FlagNote = flagNote
		}),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{flagNote}, notMsg: []string{"failover property is off"}},
		{name: "sync_replication_slots off", in: in(standby("pg-1", pg17, noSync, syncedAt("0/5000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg:   []string{pg1 + ": set sync_replication_slots = on"},
			views: []wantView{view("pg-1", true, true, true, false, i64(0), "sync_replication_slots = on")}},
		{name: "no dbname in primary_conninfo", in: in(standby("pg-1", pg17, noDBName)),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg: []string{pg1 + ": add dbname=... to primary_conninfo"}, notMsg: []string{"sync_replication_slots"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "dbname")}},
		{name: "both sync prerequisites missing, a note does not hide them",
			in:     with(in(standby("pg-1", pg17, both)), func(in *FailoverInputs) { in.Notes = map[string]string{pg1: note} }),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg: []string{"sync_replication_slots = on", "dbname=", "; "}, notMsg: []string{note},
			views: []wantView{view("pg-1", false, false, false, false, nil, "set sync_replication_slots = on")}},
		{name: "17 needs the kept-copy settings too", in: in(standby("pg-1", pg17, postgres.Settings{SyncReplicationSlots: "on", PrimaryConnInfo: "dbname=x"})),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg: []string{"hot_standby_feedback = on", "primary_slot_name", "wal_level = logical"}, notMsg: []string{"dbname"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "set hot_standby_feedback = on; set primary_slot_name; set wal_level = logical")}},
		{name: "no synchronized copy", in: in(standby("pg-1", pg17, ok)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": no synchronized copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no synchronized copy yet")}},
		{name: "no synchronized copy, with a note",
			in:     with(in(standby("pg-1", pg17, ok)), func(in *FailoverInputs) { in.Notes = map[string]string{pg1: note} }),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": " + note},
			views: []wantView{view("pg-1", false, false, false, false, nil, note)}},
		{name: "leftover, not synced", in: in(standby("pg-1", pg17, ok, leftover)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"not a synchronized copy", "leftover"},
			views: []wantView{view("pg-1", true, false, true, false, i64(0), "leftover")}},
		{name: "invalidated", in: in(standby("pg-1", pg17, ok, invalidated)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"invalidated (rows_removed)"},
			views: []wantView{view("pg-1", true, true, true, false, i64(0x1000000), "rows_removed")}},
		{name: "temporary", in: in(standby("pg-1", pg17, ok, temporary)),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet, msg: []string{pg1 + ": the copy is still temporary"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "temporary")}},
		{name: "synced and persistent", in: in(standby("pg-1", pg17, ok, syncedAt("0/4FFF000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, msg: []string{"every standby (1)"},
			views: []wantView{view("pg-1", true, true, true, true, i64(0x1000), "")}},
		{name: "a note does not make a ready copy unready",
			in:     with(in(standby("pg-1", pg17, ok, syncedAt("0/5000000"))), func(in *FailoverInputs) { in.Notes = map[string]string{pg1: note} }),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, i64(0), "")}},
		{name: "copy ahead of the primary has no lag", in: in(standby("pg-1", pg17, ok, syncedAt("0/5000100"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, nil, "")}},
		{name: "17 ignores status.copies", in: with(in(standby("pg-1", pg17, ok, syncedAt("0/5000000"))), func(in *FailoverInputs) {
			in.Copies = []api.SlotCopy{{Host: "pg-1", Port: 5432, StartLSN: "0/9000000", Former: true}}
		}),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, i64(0), "")}},
		{name: "one ready, one not", in: in(standby("pg-1", pg17, ok, syncedAt("0/5000000")), standby("pg-2", pg17, ok, leftover)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced,
			msg: []string{pg2 + ": a slot of this name exists"}, notMsg: []string{pg1},
			views: []wantView{view("pg-1", true, true, true, true, i64(0), ""),
				view("pg-2", true, false, true, false, i64(0), "leftover")}},
		{name: "prerequisites outrank a temporary copy",
			in:     in(standby("pg-1", pg17, ok, temporary), standby("pg-2", pg17, noSync)),
			status: metav1.ConditionFalse, reason: api.ReasonFailoverPrerequisites,
			msg: []string{pg1 + ": the copy is still temporary", pg2 + ": set sync_replication_slots = on"},
			views: []wantView{view("pg-1", true, true, false, false, i64(0x1000), "temporary"),
				view("pg-2", false, false, false, false, nil, "sync_replication_slots")}},
		{name: "a temporary copy outranks a missing one",
			in:     in(standby("pg-1", pg17, ok), standby("pg-2", pg17, ok, temporary)),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg: []string{pg1 + ": no synchronized copy yet", pg2 + ": the copy is still temporary"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no synchronized copy yet"),
				view("pg-2", true, true, false, false, i64(0x1000), "temporary")}},
	})
}

func TestFailoverReadyPhysical(t *testing.T) {
	// The primary slot keeps WAL from 0/2000000.
	row := &postgres.Slot{Name: foSlot, Type: "physical", RestartLSN: lsn("0/2000000")}
	in := func(versionNum int, copies []api.SlotCopy, standbys ...observation.Member) FailoverInputs {
		return with(foInputs(api.SlotPhysical, versionNum, row, standbys...), func(in *FailoverInputs) { in.Copies = copies })
	}
	recorded := []api.SlotCopy{{Host: "pg-1", Port: 5432}}
	// Physical copies need none of the logical prerequisites.
	bare := postgres.Settings{}
	noRestart := physicalAt("0/1000000")
	noRestart.RestartLSN = nil
	former := []api.SlotCopy{{Host: "pg-1", Port: 5432, Former: true}}
	note := "cannot advance the copy: boom"

	runFailoverCases(t, []failoverCase{
		{name: "copy behind the primary slot", in: in(pg17, recorded, standby("pg-1", pg17, bare, physicalAt("0/1000000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, msg: []string{"every standby (1)"},
			views: []wantView{view("pg-1", true, true, true, true, i64(0x1000000), "")}},
		{name: "copy at the primary slot", in: in(pg17, recorded, standby("pg-1", pg17, bare, physicalAt("0/2000000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, i64(0), "")}},
		{name: "physical works on 15", in: in(pg15, recorded, standby("pg-1", pg15, bare, physicalAt("0/2000000"))),
			status: metav1.ConditionTrue, reason: api.ReasonSynced,
			views: []wantView{view("pg-1", true, true, true, true, i64(0), "")}},
		{name: "copy ahead of the primary slot", in: in(pg17, recorded, standby("pg-1", pg17, bare, physicalAt("0/2000100"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg:   []string{pg1 + ": the copy starts at 0/2000100", "after the primary slot's 0/2000000"},
			views: []wantView{view("pg-1", true, false, true, false, nil, "0/2000100")}},
		{name: "unrecorded copy", in: in(pg17, nil, standby("pg-1", pg17, bare, physicalAt("0/1000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "unrecorded copy, with a note",
			in: with(in(pg17, nil, standby("pg-1", pg17, bare, physicalAt("0/1000000"))),
				func(in *FailoverInputs) { in.Notes = map[string]string{pg1: note} }),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{pg1 + ": " + note}, notMsg: []string{"no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, note)}},
		{name: "recorded but gone", in: in(pg17, recorded, standby("pg-1", pg17, bare)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "former primary's stale slot", in: in(pg17, former, standby("pg-1", pg17, bare, physicalAt("0/1000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"no copy yet"},
			views: []wantView{view("pg-1", false, false, false, false, nil, "no copy yet")}},
		{name: "copy without restart_lsn", in: in(pg17, recorded, standby("pg-1", pg17, bare, noRestart)),
			status: metav1.ConditionFalse, reason: api.ReasonNotSynced, msg: []string{"no restart_lsn to compare yet"},
			views: []wantView{view("pg-1", true, false, true, false, nil, "restart_lsn")}},
		{name: "one ready, one ahead",
			in: in(pg17, []api.SlotCopy{{Host: "pg-1", Port: 5432}, {Host: "pg-2", Port: 5432}},
				standby("pg-1", pg17, bare, physicalAt("0/2000000")), standby("pg-2", pg17, bare, physicalAt("0/3000000"))),
			status: metav1.ConditionFalse, reason: api.ReasonNotPersistentYet,
			msg: []string{pg2 + ": the copy starts at 0/3000000"}, notMsg: []string{pg1},
			views: []wantView{view("pg-1", true, true, true, true, i64(0), ""),
				view("pg-2", true, false, true, false, nil, "0/3000000")}},
	})
}

func TestFailoverPrerequisites(t *testing.T) {
	snap := func(versionNum int, primary postgres.Settings, standbys ...postgres.Settings) *observation.Snapshot {
		members := []observation.Member{foMember("pg-0", false, versionNum, primary)}
		for i, s := range standbys {
			members = append(members, standby(fmt.Sprintf("pg-%d", i+1), versionNum, s))
		}
		return observation.NewSnapshot(time.Now(), "", members)
	}
	noPrimary := func() *observation.Snapshot {
		return observation.NewSnapshot(time.Now(), "", []observation.Member{standby("pg-1", pg17, postgres.Settings{})})
	}
	noFeedback := keptSettings("sb1")
	noFeedback.HotStandbyFeedback = "off"
	noSync := syncSettings("sb2")
	noSync.SyncReplicationSlots = ""
	listed := postgres.Settings{SynchronizedStandbySlots: "sb1, \"sb2\""}

	cases := []struct {
		name string
		snap *observation.Snapshot
		want []string // substrings, one per entry, in order
		not  []string // no entry may contain these
	}{
		{"nil snapshot", nil, nil, nil},
		{"no primary", noPrimary(), nil, nil},
		{"15 needs nothing", snap(pg15, postgres.Settings{}, postgres.Settings{}), nil, nil},
		{"16, all met", snap(pg16, postgres.Settings{}, keptSettings("sb1")), nil, nil},
		{"16 lists kept-copy prerequisites per standby",
			snap(pg16, postgres.Settings{}, noFeedback, keptSettings("sb2"), postgres.Settings{}),
			[]string{
				"standby " + pg1 + ": set hot_standby_feedback = on",
				"standby pg-3:5432: set hot_standby_feedback = on",
				"standby pg-3:5432: set primary_slot_name",
				"standby pg-3:5432: set wal_level = logical",
			},
			[]string{"synchronized_standby_slots", "sync_replication_slots", "dbname", pg2}},
		{"17, all met and listed", snap(pg17, listed, syncSettings("sb1"), syncSettings("sb2")), nil, nil},
		{"17 warns about synchronized_standby_slots",
			snap(pg17, postgres.Settings{}, syncSettings("sb1")),
			[]string{"primary: set synchronized_standby_slots = 'sb1'"},
			[]string{"standby "}},
		{"17 lists sync prerequisites and the warning",
			snap(pg17, postgres.Settings{SynchronizedStandbySlots: "sb1"}, syncSettings("sb1"), noSync, keptSettings("")),
			[]string{
				"standby " + pg2 + ": set sync_replication_slots = on",
				"standby pg-3:5432: set sync_replication_slots = on",
				"standby pg-3:5432: set primary_slot_name",
				"standby pg-3:5432: add dbname=... to primary_conninfo",
				"primary: set synchronized_standby_slots = 'sb1,sb2'",
			},
			[]string{pg1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FailoverPrerequisites(tc.snap)
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %d entries like %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("entry %d %q lacks %q", i, got[i], tc.want[i])
				}
				for _, s := range tc.not {
					if strings.Contains(got[i], s) {
						t.Errorf("entry %d %q has %q", i, got[i], s)
					}
				}
			}
		})
	}
}

func TestSyncAndKeptCopyPrerequisites(t *testing.T) {
	cases := []struct {
		name       string
		settings   postgres.Settings
		kept, sync []string
	}{
		{"all met", syncSettings("sb1"), nil, nil},
		{"16 settings lack only sync ones", keptSettings("sb1"), nil,
			[]string{"sync_replication_slots = on", "dbname="}},
		{"nothing set", postgres.Settings{},
			[]string{"hot_standby_feedback = on", "primary_slot_name", "wal_level = logical"},
			[]string{"sync_replication_slots = on", "hot_standby_feedback = on", "primary_slot_name", "wal_level = logical", "dbname="}},
		{"wal_level replica", postgres.Settings{WALLevel: "replica", HotStandbyFeedback: "on", PrimarySlotName: "sb1",
			SyncReplicationSlots: "on", PrimaryConnInfo: "dbname=postgres"},
			[]string{"wal_level = logical"}, []string{"wal_level = logical"}},
		// 19 (untested against a real 19): a standby takes the primary's
		// effective_wal_level, whatever its own wal_level.
		{"19 standby replica, primary decodes", postgres.Settings{WALLevel: "replica", EffectiveWALLevel: "logical", HotStandbyFeedback: "on",
			PrimarySlotName: "sb1", SyncReplicationSlots: "on", PrimaryConnInfo: "dbname=postgres"}, nil, nil},
		{"19 primary's decoding off", postgres.Settings{WALLevel: "logical", EffectiveWALLevel: "replica", HotStandbyFeedback: "on",
			PrimarySlotName: "sb1", SyncReplicationSlots: "on", PrimaryConnInfo: "dbname=postgres"},
			[]string{"effective_wal_level replica"}, []string{"keep a logical slot there"}},
	}
	check := func(t *testing.T, what string, got, want []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
		for i := range got {
			if !strings.Contains(got[i], want[i]) {
				t.Errorf("%s: %q lacks %q", what, got[i], want[i])
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, "KeptCopyPrerequisites", KeptCopyPrerequisites(tc.settings), tc.kept)
			check(t, "SyncPrerequisites", SyncPrerequisites(tc.settings), tc.sync)
		})
	}
}

// otherServer gives a member the start time of a server of its own, so it
// is not taken for the same primary listed twice.
func otherServer(m observation.Member) observation.Member {
	id := *m.Identity
	id.PostmasterStart = id.PostmasterStart.Add(time.Second)
	m.Identity = &id
	return m
}
