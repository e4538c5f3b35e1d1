package slot

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestSlotName(t *testing.T) {
	cases := []struct{ name, slotName, want string }{
		{"orders-cdc", "", "orders_cdc"},
		{"a-b-c", "", "a_b_c"},
		{"orders-cdc", "explicit_name", "explicit_name"},
	}
	for _, tc := range cases {
		rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: tc.name}, Spec: api.ReplicationSlotSpec{SlotName: tc.slotName}}
		if got := rs.SlotName(); got != tc.want {
			t.Errorf("SlotName(%q,%q) = %q, want %q", tc.name, tc.slotName, got, tc.want)
		}
	}
}

func TestSlotOwner(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name string, at time.Time) api.ReplicationSlot {
		ns, n, _ := strings.Cut(name, "/")
		if n == "" {
			ns, n = "", name
		}
		return api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n, CreationTimestamp: metav1.NewTime(at)}}
	}
	owned := func(rs api.ReplicationSlot) api.ReplicationSlot {
		rs.Status.Owned = true
		return rs
	}
	cases := []struct {
		objs []api.ReplicationSlot
		want string
	}{
		{[]api.ReplicationSlot{mk("b", t0.Add(time.Second)), mk("a", t0.Add(2*time.Second))}, "b"},
		{[]api.ReplicationSlot{mk("z", t0), mk("y", t0)}, "y"},
		{[]api.ReplicationSlot{mk("only", t0)}, "only"},
		// Across namespaces the namespace breaks the tie before the name.
		{[]api.ReplicationSlot{mk("team-b/a", t0), mk("team-a/z", t0)}, "z"},
		{[]api.ReplicationSlot{mk("team-b/a", t0), mk("team-a/z", t0.Add(time.Second))}, "a"},
		// An object that owns the slot keeps it against an older newcomer
		// (same second, or a cache that lagged); among several owners the
		// oldest wins.
		{[]api.ReplicationSlot{mk("team-b/a", t0), owned(mk("team-a/z", t0))}, "z"},
		{[]api.ReplicationSlot{mk("old", t0), owned(mk("new", t0.Add(time.Hour)))}, "new"},
		{[]api.ReplicationSlot{owned(mk("y", t0.Add(time.Second))), owned(mk("x", t0.Add(2*time.Second))), mk("w", t0)}, "y"},
	}
	for _, tc := range cases {
		if got := slotOwner(tc.objs).Name; got != tc.want {
			t.Errorf("SlotOwner = %q, want %q", got, tc.want)
		}
	}
	if slotOwner(nil) != nil {
		t.Error("no objects, no owner")
	}
}

func TestMismatch(t *testing.T) {
	logical := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: "s"},
		Spec: api.ReplicationSlotSpec{Type: api.SlotLogical, Database: "orders"}}
	physical := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: api.ReplicationSlotSpec{Type: api.SlotPhysical}}
	cases := []struct {
		name string
		rs   *api.ReplicationSlot
		row  postgres.Slot
		want string // substring; "" means a match
	}{
		{"logical match", logical, postgres.Slot{Type: "logical", Plugin: "pgoutput", Database: "orders"}, ""},
		{"physical match", physical, postgres.Slot{Type: "physical"}, ""},
		{"type", logical, postgres.Slot{Type: "physical"}, "physical slot"},
		{"plugin", logical, postgres.Slot{Type: "logical", Plugin: "test_decoding", Database: "orders"}, "plugin test_decoding"},
		{"database", logical, postgres.Slot{Type: "logical", Plugin: "pgoutput", Database: "other"}, "database other"},
		{"temporary", physical, postgres.Slot{Type: "physical", Temporary: true}, "temporary"},
	}
	for _, tc := range cases {
		got := mismatch(tc.rs, &tc.row)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Mismatch = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestInvalidated(t *testing.T) {
	cases := map[string]struct {
		row  postgres.Slot
		want bool
	}{
		"reserved":        {postgres.Slot{WALStatus: "reserved"}, false},
		"unreserved":      {postgres.Slot{WALStatus: "unreserved"}, false},
		"lost":            {postgres.Slot{WALStatus: "lost"}, true},
		"reason (17+)":    {postgres.Slot{WALStatus: "reserved", InvalidationReason: "idle_timeout"}, true},
		"conflicting(16)": {postgres.Slot{Conflicting: true}, true},
		"wal removed(16)": {postgres.Slot{Conflicting: true, WALStatus: "lost"}, true},
	}
	for name, tc := range cases {
		if got := Invalidated(&tc.row); got != tc.want {
			t.Errorf("%s: Invalidated = %v", name, got)
		}
	}
}

func TestSameButFigures(t *testing.T) {
	b := int64(5)
	yes, no := true, false
	a := api.ReplicationSlotStatus{Active: &yes, RestartLSN: "0/1"}
	figures := a
	figures.RestartLSN, figures.RetainedWALBytes, figures.RetainedWAL = "0/2", &b, "5B"
	if !sameButFigures(a, figures) {
		t.Error("LSN and byte changes alone must not count as a meaningful change")
	}
	other := a
	other.Active = &no
	if sameButFigures(a, other) {
		t.Error("activity is meaningful")
	}
}

func TestFiguresMoved(t *testing.T) {
	small, smallPlus, big, bigPlus := int64(1<<20), int64(1<<20+4096), int64(40<<20), int64(40<<20+4096)
	a := api.ReplicationSlotStatus{RestartLSN: "0/1", RetainedWALBytes: &big}
	cases := map[string]struct {
		b    api.ReplicationSlotStatus
		want bool
	}{
		"nothing":                          {a, false},
		"a few bytes of WAL above 16 MiB":  {api.ReplicationSlotStatus{RestartLSN: "0/1", RetainedWALBytes: &bigPlus}, false},
		"from 40 MiB down to 1 MiB":        {api.ReplicationSlotStatus{RestartLSN: "0/1", RetainedWALBytes: &small}, true},
		"the consumer confirmed something": {api.ReplicationSlotStatus{RestartLSN: "0/2", RetainedWALBytes: &big}, true},
	}
	for name, tc := range cases {
		if got := figuresMoved(a, tc.b); got != tc.want {
			t.Errorf("%s: figuresMoved = %v", name, got)
		}
	}
	c := api.ReplicationSlotStatus{RetainedWALBytes: &small}
	if figuresMoved(c, api.ReplicationSlotStatus{RetainedWALBytes: &smallPlus}) {
		t.Error("a few KiB of WAL on a small slot is not a meaningful move")
	}
}

func TestSameCluster(t *testing.T) {
	live := clusterView{sysid: "7", primary: "7@t1", probed: true}
	cases := []struct {
		name            string
		a, b            clusterView
		primary, system bool
	}{
		{"one running primary", live, live, true, true},
		{"a clone restored from the same backup", live, clusterView{sysid: "7", primary: "7@t2", probed: true}, false, true},
		{"the other server reaches no primary now", live, clusterView{sysid: "7", probed: true}, false, true},
		{"the other server not probed since the operator started", live, clusterView{sysid: "7"}, true, true},
		{"another cluster", live, clusterView{sysid: "8", primary: "8@t1", probed: true}, false, false},
		{"never reached", live, clusterView{probed: true}, false, false},
		{"neither known", clusterView{}, clusterView{}, false, false},
	}
	for _, tc := range cases {
		if got := samePrimary(tc.a, tc.b); got != tc.primary {
			t.Errorf("%s: samePrimary = %v, want %v", tc.name, got, tc.primary)
		}
		if got := sameSystem(tc.a, tc.b); got != tc.system {
			t.Errorf("%s: sameSystem = %v, want %v", tc.name, got, tc.system)
		}
	}
}

func TestSnapshotLacks(t *testing.T) {
	seen := &observation.Member{Slots: map[string]postgres.Slot{"s": {Name: "s"}}}
	unseen := &observation.Member{Slots: map[string]postgres.Slot{}}
	cases := []struct {
		name string
		sc   slotScope
		want bool
	}{
		{"in the snapshot", slotScope{name: "s", target: seen}, false},
		{"not in the snapshot yet", slotScope{name: "s", target: unseen}, true},
		{"slots not listed", slotScope{name: "s", target: &observation.Member{}}, false},
		{"no target", slotScope{name: "s"}, false},
	}
	for _, tc := range cases {
		if got := snapshotLacks(&tc.sc); got != tc.want {
			t.Errorf("%s: lacks = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCopyStart(t *testing.T) {
	at := postgres.LSN(0x3000100)
	cases := map[string]struct {
		c    api.SlotCopy
		row  *postgres.Slot
		want string
	}{
		"recorded start":              {api.SlotCopy{StartLSN: "0/3000000"}, &postgres.Slot{ConfirmedFlushLSN: &at}, "0/3000000"},
		"pending: where it stands":    {api.SlotCopy{Pending: true}, &postgres.Slot{ConfirmedFlushLSN: &at}, "0/3000100"},
		"pending physical: no start":  {api.SlotCopy{Pending: true}, &postgres.Slot{}, ""},
		"pending, row unknown":        {api.SlotCopy{Pending: true}, nil, ""},
		"physical copy: nothing kept": {api.SlotCopy{}, &postgres.Slot{}, ""},
	}
	for name, tc := range cases {
		if got := copyStart(&tc.c, tc.row); got != tc.want {
			t.Errorf("%s: copyStart = %q, want %q", name, got, tc.want)
		}
	}
}

func TestStandbyBehindOnWALLevel(t *testing.T) {
	member := func(port int32, primary bool, walLevel string) observation.Member {
		id := &postgres.Identity{InRecovery: !primary}
		id.Settings.WALLevel = walLevel
		return observation.Member{Endpoint: observation.Endpoint{Host: "h", Port: port}, Identity: id}
	}
	cases := map[string]struct {
		primaryLevel, standbyLevel string
		onPrimary                  bool
		want                       bool
	}{
		"primary fixed, standby replaying": {"logical", "logical", false, true},
		"primary still replica":            {"replica", "logical", false, false},
		"the standby's own setting is low": {"logical", "replica", false, false},
		"the slot goes on the primary":     {"logical", "logical", true, false},
	}
	for name, tc := range cases {
		snap := &observation.Snapshot{Primary: 0, Members: []observation.Member{
			member(5432, true, tc.primaryLevel), member(5433, false, tc.standbyLevel)}}
		target := &snap.Members[1]
		if tc.onPrimary {
			target = &snap.Members[0]
		}
		if got := standbyBehindOnWALLevel(&slotScope{snap: snap, target: target}); got != tc.want {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
}

// On 19 the primary decodes logically when effective_wal_level says so,
// whatever wal_level is; before 19 only wal_level counts.
func TestDecodesLogically(t *testing.T) {
	cases := []struct {
		version          int
		walLevel, effect string
		want             bool
	}{
		{180000, "logical", "", true},
		{180000, "replica", "", false},
		{190000, "replica", "logical", true},
		{190000, "replica", "replica", false},
		{190000, "logical", "", true},
	}
	for _, tc := range cases {
		id := &postgres.Identity{VersionNum: tc.version}
		id.Settings.WALLevel, id.Settings.EffectiveWALLevel = tc.walLevel, tc.effect
		if got := decodesLogically(id); got != tc.want {
			t.Errorf("%d wal_level=%s effective=%q: got %v, want %v", tc.version, tc.walLevel, tc.effect, got, tc.want)
		}
	}
}

// Right after the primary's restart a standby slot waiting for the replay
// of wal_level is tried every second; later once per poll.
func TestReplayRetry(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		started time.Time
		want    time.Duration
	}{
		{now.Add(-5 * time.Second), time.Second},
		{now.Add(-2 * time.Minute), api.DefaultPollInterval},
	} {
		p := observation.Member{Identity: &postgres.Identity{PostmasterStart: tc.started}}
		sc := &slotScope{snap: &observation.Snapshot{Primary: 0, Members: []observation.Member{p}}}
		if got := replayRetry(sc, now); got != tc.want {
			t.Errorf("primary started %v ago: %v, want %v", now.Sub(tc.started), got, tc.want)
		}
	}
}
