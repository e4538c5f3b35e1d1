package monitor

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// An object that saw its slot before any snapshot did (Expect) is woken by
// the first snapshot polled after that moment which lacks the slot: it was
// dropped before the monitor ever saw it, which no fingerprint shows. The
// slot's arrival in the snapshot is no news to it, whenever that poll
// began, but is to others watching the name, and so is any change of the
// members.
func TestExpectWakesWhenSlotMissing(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	obj := types.NamespacedName{Namespace: "ns", Name: "obj"}
	id := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010}
	promoted := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010, Timeline: 2}
	snapOf := func(id *postgres.Identity, at time.Time, slots ...string) *observation.Snapshot {
		rows := map[string]postgres.Slot{}
		for _, s := range slots {
			rows[s] = postgres.Slot{Name: s, Type: "physical"}
		}
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432}, Identity: id, Slots: rows}})
		s.At = at
		return s
	}
	snapAt := func(at time.Time, slots ...string) *observation.Snapshot { return snapOf(id, at, slots...) }
	woken := func(m *Manager) int {
		n := 0
		for len(m.SlotEvents()) > 0 {
			<-m.SlotEvents()
			n++
		}
		return n
	}
	seen := time.Now()
	other := types.NamespacedName{Namespace: "other", Name: "obj"}
	cases := []struct {
		name     string
		cur      *observation.Snapshot
		want     int
		otherToo bool // another object watches the same name
	}{
		{"poll began before the slot was seen: not settled", snapAt(seen.Add(-time.Millisecond)), 0, false},
		{"later poll lacks the slot: dropped", snapAt(seen.Add(time.Millisecond)), 1, false},
		{"later poll has it: arrival was expected", snapAt(seen.Add(time.Millisecond), "a"), 0, false},
		{"arrival wakes the other watcher", snapAt(seen.Add(time.Millisecond), "a"), 1, true},
		{"arrival with a promotion", snapOf(promoted, seen.Add(time.Millisecond), "a"), 1, false},
		// A poll under way when the creation ended: it read the slot after
		// the object knew of it, so it is no news either.
		{"poll began before the slot was seen, has it", snapAt(seen.Add(-time.Millisecond), "a"), 0, false},
	}
	for _, tc := range cases {
		m := New(connections.New())
		m.Track(key, "a", obj, 0)
		if tc.otherToo {
			m.Track(key, "a", other, 0)
		}
		m.Expect(key, "a", observation.Endpoint{Host: "db", Port: 5432}, obj, seen, observation.RowState{})
		m.notify(context.Background(), key, snapAt(seen.Add(-time.Second)), tc.cur)
		if got := woken(m); got != tc.want {
			t.Errorf("%s: woken %d times, want %d", tc.name, got, tc.want)
		}
		// Settled or not, a snapshot that has the slot wakes no one more.
		later := snapAt(seen.Add(time.Second), "a")
		m.notify(context.Background(), key, later, later)
		if got := woken(m); got != 0 {
			t.Errorf("%s: a steady snapshot woke %d times", tc.name, got)
		}
	}
	// Once settled, a later snapshot without the slot wakes by fingerprint
	// only when the previous one had it: expectations are not kept.
	m := New(connections.New())
	m.Track(key, "a", obj, 0)
	m.Expect(key, "a", observation.Endpoint{Host: "db", Port: 5432}, obj, seen, observation.RowState{})
	empty := snapAt(seen.Add(time.Millisecond))
	m.notify(context.Background(), key, empty, empty)
	m.notify(context.Background(), key, empty, snapAt(seen.Add(time.Second)))
	if got := woken(m); got != 1 {
		t.Errorf("settled expectation: woken %d times, want 1", got)
	}
}

// A poll under way when the object created its slot on the primary settles
// the expectation only if it shows the slot there: a namesake on another
// member (the old primary's stale slot after a failover, say) is not it,
// and the next poll must still wake the object if the slot is gone.
func TestExpectSettledOnItsMember(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	obj := types.NamespacedName{Namespace: "ns", Name: "obj"}
	primary := observation.Endpoint{Host: "new", Port: 5432}
	standby := observation.Endpoint{Host: "old", Port: 5432}
	snap := func(at time.Time, onPrimary, onStandby bool) *observation.Snapshot {
		rows := func(has bool) map[string]postgres.Slot {
			if has {
				return map[string]postgres.Slot{"a": {Name: "a", Type: "physical"}}
			}
			return map[string]postgres.Slot{}
		}
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{
			{Endpoint: primary, Identity: &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010, Timeline: 2}, Slots: rows(onPrimary)},
			{Endpoint: standby, Identity: &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010, Timeline: 1, InRecovery: true}, Slots: rows(onStandby)},
		})
		s.At = at
		return s
	}
	seen := time.Now()
	m := New(connections.New())
	m.Track(key, "a", obj, 0)
	m.Expect(key, "a", primary, obj, seen, observation.RowState{})
	underWay := snap(seen.Add(-time.Millisecond), false, true)
	m.notify(context.Background(), key, underWay, underWay)
	if n := len(m.SlotEvents()); n != 0 {
		t.Fatalf("a poll that began before the creation and lacks the slot on the primary woke %d times", n)
	}
	later := snap(seen.Add(time.Millisecond), false, true)
	m.notify(context.Background(), key, underWay, later)
	if n := len(m.SlotEvents()); n != 1 {
		t.Fatalf("the slot is missing on the primary in a later poll: woken %d times, want 1", n)
	}
}

// The first snapshot that lists the slot settles the expectation without
// a wake only when the slot is as the object saw it. A consumer that took
// the slot between the creation and that poll (a CDC tool waiting for its
// slot does), PostgreSQL invalidating it meanwhile (a checkpoint right
// after the creation, with max_slot_wal_keep_size exceeded), or WAL
// written meanwhile putting it past max_slot_wal_keep_size (unreserved)
// or over the object's budget, changes no
// fingerprint, since no earlier snapshot held the slot: status would keep
// the old truth until the next requeue.
func TestExpectWakesWhenTheSlotChanged(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	obj := types.NamespacedName{Namespace: "ns", Name: "obj"}
	on := observation.Endpoint{Host: "db", Port: 5432}
	snap := func(at time.Time, rows map[string]postgres.Slot) *observation.Snapshot {
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: on,
			Identity: &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010}, Slots: rows}})
		s.At = at
		return s
	}
	small, large := int64(56), int64(32<<20)
	idle := postgres.Slot{Name: "a", Type: "logical", WALStatus: "reserved", RetainedBytes: &small}
	held := idle
	held.Active = true
	lost := idle
	lost.WALStatus, lost.InvalidationReason = "lost", "wal_removed"
	lost16 := idle // 16 names no reason: lost and conflicting
	lost16.WALStatus, lost16.Conflicting = "lost", true
	behind := idle
	behind.RetainedBytes = &large
	unreserved := behind
	unreserved.WALStatus = "unreserved"
	const budget = 16 << 20
	seen := time.Now()
	cases := []struct {
		name   string
		budget int64          // the object's spec.maxRetainedWAL
		saw    *postgres.Slot // nil: a creation that read nothing back
		inPoll postgres.Slot
		want   int
	}{
		{"created idle, idle in the poll", 0, nil, idle, 0},
		{"created idle, a consumer came before the poll", 0, nil, held, 1},
		{"read while held, still held", 0, &held, held, 0},
		{"read while held, the consumer left before the poll", 0, &held, idle, 1},
		{"created valid, invalidated before the poll (17+)", 0, &idle, lost, 1},
		{"created valid, invalidated before the poll (16)", 0, nil, lost16, 1},
		{"read invalidated, still invalidated", 0, &lost, lost, 0},
		{"created within the budget, over it in the poll", budget, &idle, behind, 1},
		{"created, over the budget in the poll, no budget set", 0, &idle, behind, 0},
		{"read over the budget, still over it", budget, &behind, behind, 0},
		{"created within the budget, still within it", budget, nil, idle, 0},
		{"created reserved, unreserved in the poll", 0, &idle, unreserved, 1},
	}
	for _, tc := range cases {
		m := New(connections.New())
		m.Track(key, "a", obj, tc.budget)
		m.Expect(key, "a", on, obj, seen, observation.StateOf(tc.saw, tc.budget))
		prev := snap(seen.Add(-time.Second), map[string]postgres.Slot{})
		cur := snap(seen.Add(time.Millisecond), map[string]postgres.Slot{"a": tc.inPoll})
		m.notify(context.Background(), key, prev, cur)
		if got := len(m.SlotEvents()); got != tc.want {
			t.Errorf("%s: woken %d times, want %d", tc.name, got, tc.want)
		}
	}
}

// A slot that arrives in the snapshot on its primary and, in the same
// poll, on a standby (the copy the object made right after creating it)
// wakes the object that expected it: FailoverReady waits for the copy,
// which the object did not see listed.
func TestExpectedArrivalWithACopyWakes(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	obj := types.NamespacedName{Namespace: "ns", Name: "obj"}
	primary := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010, Timeline: 1}
	standby := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010, Timeline: 1, InRecovery: true}
	member := func(host string, id *postgres.Identity, slots ...string) observation.Member {
		rows := map[string]postgres.Slot{}
		for _, s := range slots {
			rows[s] = postgres.Slot{Name: s, Type: "physical"}
		}
		return observation.Member{Endpoint: observation.Endpoint{Host: host, Port: 5432}, Identity: id, Slots: rows}
	}
	seen := time.Now()
	snap := func(at time.Time, onPrimary, onStandby bool) *observation.Snapshot {
		var p, s []string
		if onPrimary {
			p = []string{"a"}
		}
		if onStandby {
			s = []string{"a"}
		}
		sn := observation.NewSnapshot(time.Now(), "", []observation.Member{member("db-0", primary, p...), member("db-1", standby, s...)})
		sn.At = at
		return sn
	}
	cases := []struct {
		name      string
		onStandby bool
		want      int
	}{
		{"the slot alone: expected", false, 0},
		{"the slot and its copy: news", true, 1},
	}
	for _, tc := range cases {
		m := New(connections.New())
		m.Track(key, "a", obj, 0)
		m.Expect(key, "a", observation.Endpoint{Host: "db-0", Port: 5432}, obj, seen, observation.RowState{})
		m.notify(context.Background(), key, snap(seen.Add(-time.Second), false, false), snap(seen.Add(time.Millisecond), true, tc.onStandby))
		n := 0
		for len(m.SlotEvents()) > 0 {
			<-m.SlotEvents()
			n++
		}
		if n != tc.want {
			t.Errorf("%s: woken %d times, want %d", tc.name, n, tc.want)
		}
	}
}
