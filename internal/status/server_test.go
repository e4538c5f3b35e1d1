package status

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func member(port int32, recovery bool, sysid string) observation.Member {
	return observation.Member{Endpoint: observation.Endpoint{Host: "h", Port: port},
		// Each port is another running server: its own start time.
		Identity: &postgres.Identity{InRecovery: recovery, SystemIdentifier: sysid, Version: "17.10", VersionNum: 170010,
			PostmasterStart: time.Unix(int64(port), 0),
			Settings:        postgres.Settings{WALLevel: "logical", MaxReplicationSlots: 10},
			Rights:          postgres.Rights{User: "slotkeeper", Replication: true}}}
}

func down(port int32, reason postgres.Reason) observation.Member {
	return observation.Member{Endpoint: observation.Endpoint{Host: "h", Port: port},
		Err: &postgres.Error{Reason: reason, Message: "boom", Err: errors.New("boom")}}
}

func TestServerOutcome(t *testing.T) {
	cases := []struct {
		name    string
		members []observation.Member
		phase   Phase
		reason  string
	}{
		{"primary and standby", []observation.Member{member(1, false, "7"), member(2, true, "7")}, Available, api.ReasonConnected},
		{"primary down, standby up", []observation.Member{down(1, postgres.ReasonServerUnavailable), member(2, true, "7")}, Retrying, api.ReasonNoPrimary},
		{"all down", []observation.Member{down(1, postgres.ReasonServerUnavailable), down(2, postgres.ReasonServerUnavailable)}, Retrying, api.ReasonServerUnavailable},
		{"wrong password", []observation.Member{down(1, postgres.ReasonAuthenticationFailed)}, Stalled, string(postgres.ReasonAuthenticationFailed)},
		{"split brain", []observation.Member{member(1, false, "7"), member(2, false, "7")}, Stalled, api.ReasonSplitBrain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := observation.NewSnapshot(time.Now(), "", tc.members)
			o, _, _ := ServerOutcome(snap, true)
			if o.Phase != tc.phase || o.Reason != tc.reason {
				t.Fatalf("got %+v", o)
			}
		})
	}
	if o, _, known := ServerOutcome(nil, false); o.Phase != Progressing || known {
		t.Fatalf("no snapshot: %+v", o)
	}
}

func TestForeignMemberIsRefused(t *testing.T) {
	snap := observation.NewSnapshot(time.Now(), "", []observation.Member{member(1, false, "7"), member(2, true, "99")})
	_, missing, _ := ServerOutcome(snap, false)
	if len(missing) != 1 || !strings.Contains(missing[0], "another cluster") {
		t.Fatalf("missing = %v", missing)
	}
}

func TestPrerequisites(t *testing.T) {
	base := member(1, false, "7").Identity
	cases := []struct {
		name    string
		mutate  func(*postgres.Identity)
		logical bool
		want    []string
	}{
		{"all met", func(*postgres.Identity) {}, true, nil},
		{"no replication", func(i *postgres.Identity) { i.Rights.Replication = false }, false, []string{`ALTER ROLE "slotkeeper" REPLICATION`}},
		{"superuser needs nothing", func(i *postgres.Identity) { i.Rights.Replication, i.Rights.Superuser = false, true }, false, nil},
		{"wal_level for logical", func(i *postgres.Identity) { i.Settings.WALLevel = "replica" }, true, []string{"set wal_level = logical and restart"}},
		{"wal_level irrelevant without logical slots", func(i *postgres.Identity) { i.Settings.WALLevel = "replica" }, false, nil},
		// 19 (untested against a real 19): replica is enough, creating the
		// slot turns effective_wal_level to logical.
		{"19 wal_level replica suffices", func(i *postgres.Identity) { i.VersionNum, i.Settings.WALLevel = 190000, "replica" }, true, nil},
		{"19 wal_level minimal", func(i *postgres.Identity) { i.VersionNum, i.Settings.WALLevel = 190000, "minimal" }, true, []string{"set wal_level = replica (or logical)"}},
		{"18 still needs logical", func(i *postgres.Identity) { i.VersionNum, i.Settings.WALLevel = 180004, "replica" }, true, []string{"set wal_level = logical and restart"}},
		{"slots exhausted", func(i *postgres.Identity) { i.UsedSlots = 10 }, false, []string{"raise max_replication_slots"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := *base
			tc.mutate(&id)
			got := Prerequisites(&id, tc.logical)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v", got)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("%q lacks %q", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestViewServerUnmanaged(t *testing.T) {
	p := member(1, false, "7")
	r1, r2 := int64(100), int64(50<<20)
	p.Slots = map[string]postgres.Slot{
		"mine":    {Name: "mine", Type: "logical"},
		"foreign": {Name: "foreign", Type: "physical", RetainedBytes: &r1},
		"big":     {Name: "big", Type: "logical", Active: true, RetainedBytes: &r2, Consumer: &postgres.Consumer{PID: 7, ApplicationName: "debezium"}},
		"sb":      {Name: "sb", Type: "physical"},
	}
	s := member(2, true, "7")
	s.Identity.Settings.PrimarySlotName = "sb"
	v := ViewServer(observation.NewSnapshot(time.Now(), "", []observation.Member{p, s}), map[string]bool{"mine": true})
	if v.Slots.Managed != 1 || v.Slots.Unmanaged != 3 || v.Slots.InactiveUnmanaged != 2 {
		t.Fatalf("counts %+v", v.Slots)
	}
	// Sums are quantised like every byte figure: 50 MiB active, 100 B inactive.
	if v.Slots.UnmanagedRetainedWALBytes != 48<<20 || v.Slots.InactiveUnmanagedRetainedWALBytes != observation.QuantizeBytes(100) {
		t.Fatalf("retained sums %+v", v.Slots)
	}
	if v.Unmanaged[0].Name != "big" || v.Unmanaged[0].LikelyOwner != "held by debezium (pid 7)" {
		t.Fatalf("largest first with its consumer: %+v", v.Unmanaged[0])
	}
	for _, u := range v.Unmanaged {
		if u.Name == "sb" && u.LikelyOwner != "primary_slot_name of standby h:2" {
			t.Fatalf("standby owner hint: %+v", u)
		}
	}
	if v.Members[1].Role != api.RoleStandby || v.Primary != "h:1" {
		t.Fatalf("members %+v primary %s", v.Members, v.Primary)
	}
}

func TestLikelyOwner(t *testing.T) {
	held := func(app string, pid int32) *postgres.Consumer {
		return &postgres.Consumer{PID: pid, ApplicationName: app}
	}
	const generic = "physical: a standby (Patroni names member slots after the member) or a WAL archiver such as pg_receivewal"
	cases := []struct {
		name string
		slot postgres.Slot
		// standby's primary_slot_name and primary_conninfo; none when slotName is ""
		slotName, conninfo string
		want               string
	}{
		{"Patroni member slot held by its member", postgres.Slot{Name: "orders_db_1", Type: "physical", Consumer: held("orders-db-1", 42)}, "", "",
			"Patroni member slot of orders-db-1; held by orders-db-1 (pid 42)"},
		{"Patroni member slot of a cascading standby, from its primary_conninfo", postgres.Slot{Name: "orders_db_2", Type: "physical"},
			"orders_db_2", "host=orders-db-1 port=5432 user=replicator application_name=orders-db-2 sslmode=prefer",
			"Patroni member slot of orders-db-2; primary_slot_name of standby h:2"},
		{"Patroni lowers case and turns dots into underscores", postgres.Slot{Name: "pg_node_3", Type: "physical", Consumer: held("PG.Node-3", 5)}, "", "",
			"Patroni member slot of PG.Node-3; held by PG.Node-3 (pid 5)"},
		{"Patroni encodes other characters as u and the decimal code point", postgres.Slot{Name: "pgu00641", Type: "physical", Consumer: held("pg@1", 6)}, "", "",
			"Patroni member slot of pg@1; held by pg@1 (pid 6)"},
		{"Patroni member slot, URI primary_conninfo", postgres.Slot{Name: "orders_db_3", Type: "physical"},
			"orders_db_3", "postgresql://replicator@orders-db-0:5432/postgres?application_name=orders-db-3&sslmode=prefer",
			"Patroni member slot of orders-db-3; primary_slot_name of standby h:2"},
		{"CloudNativePG HA slot held by its instance", postgres.Slot{Name: "_cnpg_cluster_example_2", Type: "physical", Consumer: held("cluster-example-2", 7)}, "", "",
			"CloudNativePG HA slot of instance cluster-example-2; held by cluster-example-2 (pid 7)"},
		{"CloudNativePG HA slot, quoted primary_conninfo value", postgres.Slot{Name: "_cnpg_cluster_example_3", Type: "physical"},
			"_cnpg_cluster_example_3", "host=cluster-example-rw user=streaming_replica port=5432 sslkey=/controller/certificates/streaming_replica.key application_name = 'cluster-example-3' sslmode=verify-ca",
			"CloudNativePG HA slot of instance cluster-example-3; primary_slot_name of standby h:2"},
		{"CloudNativePG HA slot of an instance not seen", postgres.Slot{Name: "_cnpg_cluster_example_4", Type: "physical"}, "", "",
			"CloudNativePG replica slot"},
		{"slot named exactly like its standby proves nothing", postgres.Slot{Name: "standby1", Type: "physical", Consumer: held("standby1", 9)}, "", "",
			"held by standby1 (pid 9)"},
		{"a standby whose application_name does not match", postgres.Slot{Name: "sb", Type: "physical"},
			"sb", "host=h port=1 application_name=walreceiver", "primary_slot_name of standby h:2"},
		{"logical slot is never a member slot", postgres.Slot{Name: "orders_db_1", Type: "logical", Plugin: "pgoutput", Consumer: held("orders-db-1", 3)}, "", "",
			"pgoutput: a PostgreSQL subscription (pg_subscription.subslotname on the subscriber) or a CDC tool using pgoutput; held by orders-db-1 (pid 3)"},
		{"archiver", postgres.Slot{Name: "archiver", Type: "physical", Consumer: held("pg_receivewal", 4)}, "", "",
			"held by pg_receivewal (pid 4)"},
		{"inactive physical slot nobody is known for", postgres.Slot{Name: "postgresql_1", Type: "physical"}, "", "", generic},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, s := member(1, false, "7"), member(2, true, "7")
			s.Identity.Settings.PrimarySlotName, s.Identity.Settings.PrimaryConnInfo = tc.slotName, tc.conninfo
			if got := likelyOwner(observation.NewSnapshot(time.Now(), "", []observation.Member{p, s}), tc.slot); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestIsFailover(t *testing.T) {
	cases := []struct {
		name  string
		oldP  string
		oldTL int64
		newP  string
		newTL int64
		want  bool
	}{
		{"first observation", "", 0, "a:5432", 1, false},
		{"steady", "a:5432", 1, "a:5432", 1, false},
		{"other member", "a:5432", 1, "b:5432", 2, true},
		{"same endpoint, new timeline", "svc:5432", 1, "svc:5432", 2, true},
		{"no primary now", "a:5432", 1, "", 0, false},
	}
	for _, tc := range cases {
		if got := IsFailover(tc.oldP, tc.oldTL, tc.newP, tc.newTL); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestGapReason(t *testing.T) {
	cases := []struct {
		lastHost string
		lastTL   int64
		host     string
		tl       int64
		want     string
	}{
		{"a:1", 1, "a:1", 1, "Missing"},
		{"a:1", 1, "b:1", 2, "Failover"},
		{"svc:1", 1, "svc:1", 2, "Failover"},
		{"", 0, "a:1", 1, "Missing"},
	}
	for _, tc := range cases {
		if got := GapReason(tc.lastHost, tc.lastTL, tc.host, tc.tl); got != tc.want {
			t.Errorf("%+v: got %s", tc, got)
		}
	}
}

func TestSynchronizedStandbySlotsWarning(t *testing.T) {
	cases := []struct {
		setting string
		slots   []string
		warn    bool
	}{
		{"", []string{"a"}, true},
		{"a", []string{"a"}, false},
		{"a, b", []string{"b", "a"}, false},
		{"a", []string{"a", "b"}, true},
		{"", nil, false},
	}
	for _, tc := range cases {
		got := synchronizedStandbySlotsWarning(tc.setting, tc.slots)
		if (got != "") != tc.warn {
			t.Errorf("%q %v: %q", tc.setting, tc.slots, got)
		}
	}
}

func TestUnmanagedRetention(t *testing.T) {
	top := []api.UnmanagedSlot{
		{Name: "busy", Active: true, RetainedWALBytes: ptrTo(int64(40 << 30))},
		{Name: "old_cdc", RetainedWALBytes: ptrTo(int64(12 << 30)), LikelyOwner: "Debezium"},
		{Name: "pgl_x", RetainedWALBytes: ptrTo(int64(1 << 30)), LikelyOwner: "pglogical"},
	}
	cases := []struct {
		name     string
		counts   *api.SlotCounts
		budget   int64
		status   metav1.ConditionStatus
		reason   string
		contains []string
	}{
		{"unknown", nil, 1, "", "", nil},
		{"within", &api.SlotCounts{InactiveUnmanaged: 2, InactiveUnmanagedRetainedWALBytes: 10 << 30}, 10 << 30,
			metav1.ConditionTrue, api.ReasonWithinBudget, []string{"2 inactive", "10.0GiB", "budget 10.0GiB"}},
		{"over: names inactive holders only, never the active one", &api.SlotCounts{InactiveUnmanaged: 2, InactiveUnmanagedRetainedWALBytes: 13 << 30}, 10 << 30,
			metav1.ConditionFalse, api.ReasonOverBudget, []string{"13.0GiB", "10.0GiB", "old_cdc (12.0GiB, Debezium)", "pgl_x (1.0GiB, pglogical)", "never drops"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := UnmanagedRetention(3, c.counts, top, c.budget)
			if c.counts == nil {
				if got != nil {
					t.Fatalf("want no condition, got %+v", got)
				}
				return
			}
			if got.Status != c.status || got.Reason != c.reason || got.ObservedGeneration != 3 {
				t.Fatalf("got %+v", got)
			}
			for _, s := range c.contains {
				if !strings.Contains(got.Message, s) {
					t.Errorf("message %q lacks %q", got.Message, s)
				}
			}
			if strings.Contains(got.Message, "busy") {
				t.Errorf("active slot named as a holder: %q", got.Message)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// status.members names the Pod behind each member found through
// spec.hostsFrom, reachable or not, and none for a host of spec.hosts.
func TestViewMembersPods(t *testing.T) {
	p, s, gone := member(1, false, "7"), member(2, true, "7"), down(3, postgres.ReasonServerUnavailable)
	s.Pod, gone.Pod = "db-2", "db-3"
	got := viewMembers(observation.NewSnapshot(time.Now(), "", []observation.Member{p, s, gone}))
	if len(got) != 3 || got[0].Pod != "" || got[1].Pod != "db-2" || got[2].Pod != "db-3" || got[2].Role != api.RoleUnreachable {
		t.Errorf("members %+v", got)
	}
}
