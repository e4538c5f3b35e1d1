package slot

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Table tests of the phases' decisions on a scope built by hand: no
// kube-apiserver, no PostgreSQL. The envtest and e2e suites cover the
// same phases against the real components.

func primaryMember(version int) observation.Member {
	return observation.Member{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432},
		Identity: &postgres.Identity{VersionNum: version, Timeline: 1}}
}

func scopeOn(m observation.Member, rs *api.ReplicationSlot) *slotScope {
	snap := &observation.Snapshot{Members: []observation.Member{m}, Primary: 0}
	return &slotScope{rs: rs, name: rs.SlotName(), snap: snap, target: &snap.Members[0]}
}

func logicalSlot(mut func(*api.ReplicationSlot)) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "orders"},
		Spec: api.ReplicationSlotSpec{Type: api.SlotLogical, Database: "app"}}
	if mut != nil {
		mut(rs)
	}
	return rs
}

func TestAdoptDecision(t *testing.T) {
	cases := []struct {
		name          string
		rs            *api.ReplicationSlot
		heldElsewhere string
		row           *postgres.Slot
		wantReason    string // "" adopts
		wantOrigin    api.SlotOrigin
	}{
		{name: "matching slot is adopted", rs: logicalSlot(nil), wantOrigin: api.OriginAdopted},
		{name: "own creation before a restart is taken over, whatever adoption says", rs: logicalSlot(func(rs *api.ReplicationSlot) {
			rs.Status.Origin, rs.Spec.Adoption = api.OriginCreated, api.AdoptNever
		}), wantOrigin: api.OriginCreated},
		{name: "an intent never takes a slot another namespace holds", rs: logicalSlot(func(rs *api.ReplicationSlot) {
			rs.Status.Origin = api.OriginCreated
		}), heldElsewhere: "held by another namespace", wantReason: api.ReasonConflict},
		{name: "another namespace's slot is refused", rs: logicalSlot(nil), heldElsewhere: "taken", wantReason: api.ReasonConflict},
		{name: "adoption Never refuses", rs: logicalSlot(func(rs *api.ReplicationSlot) {
			rs.Spec.Adoption = api.AdoptNever
		}), wantReason: api.ReasonConflict},
		{name: "a physical slot a replica streams through is refused", rs: &api.ReplicationSlot{
			ObjectMeta: metav1.ObjectMeta{Name: "phys"}, Spec: api.ReplicationSlotSpec{Type: api.SlotPhysical}},
			row: &postgres.Slot{Type: "physical", Active: true, ActivePID: 42}, wantReason: api.ReasonConflict},
		{name: "unless asked to", rs: &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: "phys"},
			Spec: api.ReplicationSlotSpec{Type: api.SlotPhysical, Adoption: api.AdoptIfMatchingWithStandby}},
			row: &postgres.Slot{Type: "physical", Active: true, ActivePID: 42}, wantOrigin: api.OriginAdopted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := scopeOn(primaryMember(170000), tc.rs)
			sc.heldElsewhere, sc.row = tc.heldElsewhere, tc.row
			o := (&Reconciler{}).adopt(sc)
			if tc.wantReason != "" {
				if o == nil || o.Reason != tc.wantReason || o.Phase != status.Stalled {
					t.Fatalf("outcome = %+v, want Stalled %s", o, tc.wantReason)
				}
				if tc.rs.Status.Owned || sc.announced() {
					t.Fatal("a refused slot must not become owned or be announced")
				}
				return
			}
			if o != nil {
				t.Fatalf("outcome = %+v, want adoption", o)
			}
			if !tc.rs.Status.Owned || tc.rs.Status.Origin != tc.wantOrigin || !sc.announced() {
				t.Fatalf("owned=%v origin=%q announced=%v", tc.rs.Status.Owned, tc.rs.Status.Origin, sc.announced())
			}
		})
	}
}

func TestErrorOutcome(t *testing.T) {
	standby := observation.Member{Endpoint: observation.Endpoint{Host: "db-1", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 160000, InRecovery: true, Settings: postgres.Settings{WALLevel: "logical"}}}
	cases := []struct {
		name        string
		e           *postgres.Error
		onStandby   bool
		wantPhase   status.Phase
		wantReason  string
		wantRecheck bool
	}{
		{"name taken asks for a read", &postgres.Error{Reason: postgres.ReasonSlotExists}, false, status.Progressing, api.ReasonCreating, true},
		{"missing right needs a human", &postgres.Error{Reason: postgres.ReasonPermissionDenied}, false, status.Stalled, api.ReasonPermissionDenied, false},
		{"wal_level on the primary needs a human", &postgres.Error{Reason: postgres.ReasonWALLevelTooLow}, false, status.Stalled, api.ReasonWALLevelTooLow, false},
		{"a standby that has not replayed wal_level yet is retried", &postgres.Error{Reason: postgres.ReasonWALLevelTooLow}, true, status.Retrying, api.ReasonWALLevelTooLow, false},
		{"a transient failure is retried", &postgres.Error{Transient: true, Message: "connection refused"}, false, status.Retrying, api.ReasonServerUnavailable, false},
		{"anything else is retried as an error", &postgres.Error{Message: "boom"}, false, status.Retrying, api.ReasonError, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := primaryMember(160000)
			p.Identity.Settings.WALLevel = "logical"
			snap := &observation.Snapshot{Members: []observation.Member{p, standby}, Primary: 0}
			sc := &slotScope{rs: logicalSlot(nil), snap: snap, target: &snap.Members[0]}
			if tc.onStandby {
				sc.target = &snap.Members[1]
			}
			o := errorOutcome(tc.e, sc)
			if o.Phase != tc.wantPhase || o.Reason != tc.wantReason || o.Recheck != tc.wantRecheck {
				t.Fatalf("outcome = %+v, want phase %v reason %s recheck %v", o, tc.wantPhase, tc.wantReason, tc.wantRecheck)
			}
			// Only the standby's pending replay is looked at again after
			// one poll; everything else keeps its phase's interval.
			wantAfter := time.Duration(0)
			if tc.onStandby {
				wantAfter = api.DefaultPollInterval
			}
			if o.RetryAfter != wantAfter {
				t.Fatalf("RetryAfter = %v, want %v", o.RetryAfter, wantAfter)
			}
		})
	}
	if errorOutcome(nil, &slotScope{}) != nil {
		t.Fatal("no error, no outcome")
	}
}

func TestCreationOutcomeCarriesBlocked(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	cases := []struct {
		name        string
		st          creator.State
		wantBlocked bool
		wantInMsg   string
	}{
		{"queued behind other creations", creator.State{Queued: true, Started: time.Now()}, false, "other creations"},
		{"no blockers yet", creator.State{Started: time.Now()}, false, "creating the slot on db-0:5432"},
		{"a transaction of its own database", creator.State{Started: old, Blockers: []postgres.Blocker{
			{PID: 7, Database: "app", XactStart: &old}}}, true, "creating the slot on db-0:5432: "},
		{"transactions of other databases are counted", creator.State{Started: old, Blockers: []postgres.Blocker{
			{PID: 8, Database: "billing", XactStart: &old}}}, true, "1 transaction(s) in other databases"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := scopeOn(primaryMember(170000), logicalSlot(nil))
			o := (&Reconciler{}).creationOutcome(sc, tc.st)
			if o.Phase != status.Progressing || !strings.Contains(o.Message, tc.wantInMsg) {
				t.Fatalf("outcome = %+v, want Progressing containing %q", o, tc.wantInMsg)
			}
			if (o.Blocked != nil) != tc.wantBlocked {
				t.Fatalf("blocked = %+v, want blocked %v", o.Blocked, tc.wantBlocked)
			}
			if o.Blocked != nil && (o.Blocked.Reason == "" || !strings.Contains(o.Message, o.Blocked.Message)) {
				t.Fatalf("the Ready message must carry what blocks: %+v", o)
			}
		})
	}
}

func TestFailoverFlagDecision(t *testing.T) {
	cases := []struct {
		name        string
		version     int
		failover    bool
		row         postgres.Slot
		enabled     bool
		wantEnabled bool
		wantNote    string
	}{
		{name: "16 has no property", version: 160000, failover: true, row: postgres.Slot{}, wantEnabled: false},
		{name: "on and wanted", version: 170000, failover: true, row: postgres.Slot{Failover: true}, wantEnabled: true},
		{name: "off and not wanted", version: 170000, row: postgres.Slot{}, wantEnabled: false},
		{name: "on by someone else is left on", version: 180000, row: postgres.Slot{Failover: true}, wantEnabled: false},
		{name: "a held slot cannot be switched on", version: 170000, failover: true,
			row: postgres.Slot{Active: true, ActivePID: 99}, wantNote: "cannot switch failover on while the slot is held (pid 99)"},
		{name: "nor off", version: 170000, row: postgres.Slot{Failover: true, Active: true, ActivePID: 5}, enabled: true,
			wantEnabled: true, wantNote: "cannot switch failover off while the slot is held (pid 5)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := logicalSlot(func(rs *api.ReplicationSlot) {
				rs.Spec.Failover, rs.Status.FailoverEnabled = tc.failover, tc.enabled
			})
			m := primaryMember(tc.version)
			sc := scopeOn(m, rs)
			sc.row, sc.strategy = &tc.row, copies.For(rs.Spec.Type, rs.Spec.Failover, m.Identity)
			note := (&Reconciler{}).syncFailoverFlag(t.Context(), sc)
			if !strings.Contains(note, tc.wantNote) || (tc.wantNote == "") != (note == "") {
				t.Fatalf("note = %q, want %q", note, tc.wantNote)
			}
			if rs.Status.FailoverEnabled != tc.wantEnabled {
				t.Fatalf("failoverEnabled = %v, want %v", rs.Status.FailoverEnabled, tc.wantEnabled)
			}
		})
	}
}

func TestAvailableOutcome(t *testing.T) {
	cases := []struct {
		name string
		row  *postgres.Slot
		want string
	}{
		{"not read", nil, "slot exists"},
		{"no consumer", &postgres.Slot{}, "inactive: no consumer connected"},
		{"a named consumer", &postgres.Slot{Active: true, ActivePID: 3,
			Consumer: &postgres.Consumer{ApplicationName: "debezium"}}, "active: debezium (pid 3)"},
		{"an unnamed consumer", &postgres.Slot{Active: true, ActivePID: 4}, "active (pid 4)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := scopeOn(primaryMember(170000), logicalSlot(nil))
			sc.row = tc.row
			o := availableOutcome(sc)
			if o.Phase != status.Available || !strings.HasPrefix(o.Message, tc.want) {
				t.Fatalf("outcome = %+v, want Available starting %q", o, tc.want)
			}
		})
	}
}

func TestAnnouncedComesFromEvents(t *testing.T) {
	sc := &slotScope{rs: logicalSlot(nil)}
	sc.event("Normal", "IgnoreSlotsEntryAdded", "Create", "added")
	if sc.announced() {
		t.Fatal("an Event that does not tell the slot is there announces nothing")
	}
	sc.announce("Normal", "Created", "Create", "created %s", "x")
	if !sc.announced() || len(sc.events) != 2 || sc.events[1].note != "created x" {
		t.Fatalf("events = %+v", sc.events)
	}
}

// PostgreSQL 19's own conflict detection slot is never this operator's,
// whether named by spec.slotName or by the object's name.
func TestCheckSpecRefusesPostgresOwnSlot(t *testing.T) {
	cases := []struct {
		name string
		rs   *api.ReplicationSlot
		want bool
	}{
		{"an ordinary name", logicalSlot(nil), false},
		{"spec.slotName", logicalSlot(func(rs *api.ReplicationSlot) { rs.Spec.SlotName = "pg_conflict_detection" }), true},
		{"the object's name", logicalSlot(func(rs *api.ReplicationSlot) { rs.Name = "pg-conflict-detection" }), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := checkSpec(context.Background(), &slotScope{rs: tc.rs})
			if got := o != nil && o.Phase == status.Stalled && o.Reason == api.ReasonInvalidSpec; got != tc.want {
				t.Fatalf("refused = %v (%+v), want %v", got, o, tc.want)
			}
		})
	}
}
