package monitor

import (
	"context"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

const mib = 1 << 20

func retaining(name string, active bool, b int64) postgres.Slot {
	return postgres.Slot{Name: name, Type: "logical", Active: active, WALStatus: "reserved", RetainedBytes: &b}
}

// The server object is woken in the poll where the inactive unmanaged
// slots cross their budget, either way, and not while their retention
// moves on one side of it. Slots the server reconcile counted as managed
// (owned, by an object of this server or of another on the same cluster),
// active and WAL-less slots do not count; a slot an object tracks without
// owning it (Conflict, adoption: Never) does, as in the status.
func TestPublishWakesServerOnBudgetCrossing(t *testing.T) {
	m := New(connections.New())
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	s := newServer(key, Config{UnmanagedBudget: 32 * mib}, m)
	m.servers[key] = s
	m.SetManaged(key, map[string]bool{"owned": true})
	m.Track(key, "refused", types.NamespacedName{Namespace: "ns", Name: "refused"}, 0)
	id := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010}
	woken := func(unmanaged, refused, owned, active int64) bool {
		slots := map[string]postgres.Slot{"debezium": retaining("debezium", false, unmanaged),
			"refused": retaining("refused", false, refused), "owned": retaining("owned", false, owned),
			"busy": retaining("busy", true, active), "lazy": {Name: "lazy", Type: "physical"}} // lazy reserves no WAL
		s.publish(context.Background(), observation.NewSnapshot(time.Now(), "",
			[]observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432}, Identity: id, Slots: slots}}))
		n := len(m.ServerEvents())
		for len(m.ServerEvents()) > 0 {
			<-m.ServerEvents()
		}
		return n > 0
	}
	steps := []struct {
		name                              string
		unmanaged, refused, owned, active int64
		want                              bool
	}{
		{"first snapshot", 1 * mib, 0, 0, 0, true},
		{"unmanaged grows within budget", 20 * mib, 0, 0, 0, false},
		{"an owned slot retains a lot", 20 * mib, 0, 900 * mib, 0, false},
		{"an active slot retains a lot", 20 * mib, 0, 900 * mib, 900 * mib, false},
		{"rounded down, still at the budget", 47 * mib, 0, 900 * mib, 900 * mib, false},
		{"over the budget", 48 * mib, 0, 900 * mib, 900 * mib, true},
		{"further over", 500 * mib, 0, 0, 0, false},
		{"back within", 3 * mib, 0, 0, 0, true},
		{"a tracked slot not owned takes it over", 3 * mib, 50 * mib, 0, 0, true},
	}
	for _, st := range steps {
		if got := woken(st.unmanaged, st.refused, st.owned, st.active); got != st.want {
			t.Fatalf("%s: server woken = %v, want %v", st.name, got, st.want)
		}
	}
}

// Without a budget, or without a primary, there is nothing to mark.
func TestOverBudgetMarkOff(t *testing.T) {
	id := &postgres.Identity{SystemIdentifier: "7000"}
	slots := map[string]postgres.Slot{"a": retaining("a", false, 900*mib)}
	snap := observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432}, Identity: id, Slots: slots}})
	if got := overBudgetMark(snap, 0, nil); got != "" {
		t.Fatalf("budget 0: %q", got)
	}
	if got := overBudgetMark(snap, 16*mib, nil); got == "" {
		t.Fatal("900 MiB over a 16 MiB budget: no mark")
	}
	standby := &postgres.Identity{SystemIdentifier: "7000", InRecovery: true}
	snap = observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432}, Identity: standby, Slots: slots}})
	if got := overBudgetMark(snap, 16*mib, nil); got != "" {
		t.Fatalf("no primary: %q", got)
	}
}

// A slot's retention crossing its object's spec.maxRetainedWAL wakes that
// object (not another watcher without a budget), either way, and moving on
// one side of it wakes nobody.
func TestNotifyWakesOnSlotBudgetCrossing(t *testing.T) {
	m := New(connections.New())
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	budgeted := types.NamespacedName{Namespace: "ns", Name: "budgeted"}
	m.Track(key, "cdc", budgeted, 64*mib)
	m.Track(key, "cdc", types.NamespacedName{Namespace: "other", Name: "plain"}, 0)
	id := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010}
	snap := func(retained int64) *observation.Snapshot {
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432},
			Identity: id, Slots: map[string]postgres.Slot{"cdc": retaining("cdc", true, retained)}}})
		s.Fingerprint = serverFingerprint(s)
		return s
	}
	prev := snap(1 * mib)
	for _, st := range []struct {
		retained int64
		want     []string
	}{
		{10 * mib, nil},
		{64 * mib, nil}, // at the budget is within it
		{65 * mib, []string{"budgeted"}},
		{900 * mib, nil},
		{2 * mib, []string{"budgeted"}},
	} {
		cur := snap(st.retained)
		m.notify(context.Background(), key, prev, cur)
		var got []string
		for len(m.SlotEvents()) > 0 {
			got = append(got, (<-m.SlotEvents()).Object.GetName())
		}
		if !slices.Equal(got, st.want) {
			t.Fatalf("retention %d MiB: woke %v, want %v", st.retained/mib, got, st.want)
		}
		prev = cur
	}
}

// A copy on a standby that stays over the budget does not hide the
// primary slot's crossing: each member is judged on its own.
func TestNotifyBudgetCrossingPerMember(t *testing.T) {
	m := New(connections.New())
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	obj := types.NamespacedName{Namespace: "ns", Name: "cdc"}
	m.Track(key, "cdc", obj, 64*mib)
	p := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010}
	sb := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010, InRecovery: true}
	snap := func(onPrimary int64) *observation.Snapshot {
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{
			{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432}, Identity: p, Slots: map[string]postgres.Slot{"cdc": retaining("cdc", true, onPrimary)}},
			{Endpoint: observation.Endpoint{Host: "db-1", Port: 5432}, Identity: sb, Slots: map[string]postgres.Slot{"cdc": retaining("cdc", false, 900*mib)}}})
		s.Fingerprint = serverFingerprint(s)
		return s
	}
	prev := snap(10 * mib)
	for _, st := range []struct {
		onPrimary int64
		woken     bool
	}{{20 * mib, false}, {70 * mib, true}, {80 * mib, false}, {5 * mib, true}} {
		cur := snap(st.onPrimary)
		m.notify(context.Background(), key, prev, cur)
		n := len(m.SlotEvents())
		for len(m.SlotEvents()) > 0 {
			<-m.SlotEvents()
		}
		if (n > 0) != st.woken {
			t.Fatalf("primary at %d MiB: woken = %v, want %v", st.onPrimary/mib, n > 0, st.woken)
		}
		prev = cur
	}
}
