package monitor

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// The fingerprints were once built by concatenating strings slot by slot;
// these are those versions, verbatim. The buffered ones must produce the
// same text, so that what wakes whom has not changed.

func concatServerFingerprint(s *observation.Snapshot) string {
	out := fmt.Sprint(s.Claims, s.Refused)
	for i := range s.Members {
		mb := &s.Members[i]
		out += "|" + mb.Addr() + memberFingerprint(mb)
		out += fmt.Sprint(len(mb.Slots), errReason(mb.SlotsErr))
		for _, name := range slices.Sorted(maps.Keys(mb.Slots)) {
			sl := mb.Slots[name]
			out += fmt.Sprint(name, sl.Active, sl.WALStatus)
		}
	}
	return out
}

func concatSlotFingerprint(s *observation.Snapshot, slot string) string {
	out := fmt.Sprint(s.Claims)
	for i := range s.Members {
		mb := &s.Members[i]
		out += "|" + mb.Addr() + memberFingerprint(mb)
		sl, ok := mb.Slots[slot]
		if !ok {
			out += ":absent"
			continue
		}
		out += fmt.Sprint(sl.Type, sl.Plugin, sl.Database, sl.Temporary, sl.Active, sl.ActivePID,
			sl.WALStatus, sl.InvalidationReason, sl.Conflicting, sl.Synced, sl.Failover)
	}
	return out
}

// randomSnapshot has up to three members, some down, some in recovery,
// with up to 30 slots each drawn from 40 names.
func randomSnapshot(r *rand.Rand) *observation.Snapshot {
	var members []observation.Member
	for i := range 1 + r.IntN(3) {
		m := observation.Member{Endpoint: observation.Endpoint{Host: fmt.Sprintf("db-%d", i), Port: 5432}}
		if r.IntN(5) == 0 {
			m.Err = &postgres.Error{Reason: "Unreachable", Message: "connection refused"}
			members = append(members, m)
			continue
		}
		m.Identity = &postgres.Identity{InRecovery: i > 0 && r.IntN(4) > 0, Timeline: int64(1 + r.IntN(2)),
			SystemIdentifier: "7000", VersionNum: 170010, PostmasterStart: time.Unix(1700000000, 0),
			Settings: postgres.Settings{WALLevel: "logical", MaxReplicationSlots: 10}}
		if r.IntN(6) == 0 {
			m.SlotsErr = &postgres.Error{Reason: "Forbidden", Message: "permission denied"}
		} else {
			m.Slots = map[string]postgres.Slot{}
			for range r.IntN(30) {
				name := fmt.Sprintf("slot_%d", r.IntN(40))
				m.Slots[name] = postgres.Slot{Name: name, Type: []string{"logical", "physical"}[r.IntN(2)],
					Plugin: "pgoutput", Database: "orders", Active: r.IntN(2) == 0, ActivePID: int32(r.IntN(3)),
					WALStatus: []string{"reserved", "extended", "lost"}[r.IntN(3)], Failover: r.IntN(2) == 0,
					InvalidationReason: []string{"", "wal_removed"}[r.IntN(2)]}
			}
		}
		members = append(members, m)
	}
	return observation.NewSnapshot(time.Now(), "", members)
}

func TestFingerprintsUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		s := randomSnapshot(r)
		if got, want := serverFingerprint(s), concatServerFingerprint(s); got != want {
			t.Fatalf("server fingerprint\n got %q\nwant %q", got, want)
		}
		for i := range 42 {
			slot := fmt.Sprintf("slot_%d", i)
			if got, want := slotFingerprint(s, slot), concatSlotFingerprint(s, slot); got != want {
				t.Fatalf("slot %s fingerprint\n got %q\nwant %q", slot, got, want)
			}
		}
	}
}

// notify wakes the server object and exactly the watchers whose slot's
// fingerprint changed, as comparing the concatenated strings did.
func TestNotifyWakesAsBefore(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	for range 200 {
		m := New(connections.New())
		for i := range 42 {
			m.Track(key, fmt.Sprintf("slot_%d", i), types.NamespacedName{Namespace: "ns", Name: fmt.Sprintf("obj_%d", i)}, 0)
		}
		prev, cur := randomSnapshot(r), randomSnapshot(r)
		if r.IntN(3) == 0 {
			cur = prev // nothing changed
		}
		if r.IntN(2) == 0 {
			cur.Fingerprint = serverFingerprint(cur) // as published
		}
		wantServer := concatServerFingerprint(prev) != concatServerFingerprint(cur)
		want := map[string]bool{}
		for i := range 42 {
			slot := fmt.Sprintf("slot_%d", i)
			if concatSlotFingerprint(prev, slot) != concatSlotFingerprint(cur, slot) {
				want[fmt.Sprintf("obj_%d", i)] = true
			}
		}
		m.notify(context.Background(), key, prev, cur)
		if got := len(m.ServerEvents()) == 1; got != wantServer {
			t.Fatalf("server woken = %v, want %v", got, wantServer)
		}
		got := map[string]bool{}
		for len(m.SlotEvents()) > 0 {
			got[(<-m.SlotEvents()).Object.GetName()] = true
		}
		if !maps.Equal(got, want) {
			t.Fatalf("woke %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	}
}

// Without a previous snapshot every watcher and the server are woken.
func TestNotifyFirstSnapshot(t *testing.T) {
	m := New(connections.New())
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	m.Track(key, "a", types.NamespacedName{Namespace: "ns", Name: "obj"}, 0)
	m.notify(context.Background(), key, nil, randomSnapshot(rand.New(rand.NewPCG(5, 6))))
	if len(m.ServerEvents()) != 1 || len(m.SlotEvents()) != 1 {
		t.Fatalf("server events %d, slot events %d; want 1, 1", len(m.ServerEvents()), len(m.SlotEvents()))
	}
}

// BenchmarkNotify2000 is one poll's comparison with 2,000 idle slots.
func BenchmarkNotify2000(b *testing.B) {
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	m := New(connections.New())
	slots := map[string]postgres.Slot{}
	for i := range 2000 {
		name := fmt.Sprintf("slot_%d", i)
		slots[name] = postgres.Slot{Name: name, Type: "logical", Plugin: "pgoutput", Database: "orders", WALStatus: "reserved"}
		m.Track(key, name, types.NamespacedName{Namespace: "ns", Name: name}, 0)
	}
	id := &postgres.Identity{SystemIdentifier: "7000", VersionNum: 170010}
	snap := func() *observation.Snapshot {
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432}, Identity: id, Slots: slots}})
		s.Fingerprint = serverFingerprint(s)
		return s
	}
	prev := snap()
	b.ReportAllocs()
	for b.Loop() {
		cur := snap()
		m.notify(context.Background(), key, prev, cur)
		prev = cur
	}
}

// LastConfirmed keeps the last confirmed_flush_lsn a primary showed for a
// declared slot after the slot has left the snapshot, and none once the
// slot's row had none; an undeclared slot's is forgotten when it leaves.
func TestLastConfirmed(t *testing.T) {
	m := New(connections.New())
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	s := newServer(key, Config{}, m)
	m.servers[key] = s
	m.Track(key, "a", types.NamespacedName{Namespace: "ns", Name: "a"}, 0)
	id := &postgres.Identity{SystemIdentifier: "7000"}
	publish := func(slots map[string]postgres.Slot) {
		s.publish(context.Background(), observation.NewSnapshot(time.Now(), "", []observation.Member{{Endpoint: observation.Endpoint{Host: "db", Port: 5432}, Identity: id, Slots: slots}}))
	}
	lsn := postgres.LSN(0x3000060)
	publish(map[string]postgres.Slot{"a": {Name: "a", ConfirmedFlushLSN: &lsn}, "b": {Name: "b", RestartLSN: &lsn},
		"pg_16384_sync_1_1": {Name: "pg_16384_sync_1_1", ConfirmedFlushLSN: &lsn}})
	if got := m.LastConfirmed(key, "a"); got == nil || *got != lsn {
		t.Fatalf("a: %v, want %v", got, lsn)
	}
	if got := m.LastConfirmed(key, "b"); got != nil {
		t.Fatalf("b (no confirmed_flush_lsn): %v", *got)
	}
	publish(map[string]postgres.Slot{})
	if got := m.LastConfirmed(key, "a"); got == nil || *got != lsn {
		t.Fatalf("a after it left the snapshot: %v, want %v", got, lsn)
	}
	if got := m.LastConfirmed(key, "pg_16384_sync_1_1"); got != nil {
		t.Fatalf("an undeclared slot's position outlived the slot: %v", *got)
	}
	publish(map[string]postgres.Slot{"a": {Name: "a"}})
	if got := m.LastConfirmed(key, "a"); got != nil {
		t.Fatalf("a after a row without confirmed_flush_lsn: %v", *got)
	}
}

// A member whose Pod changes at the same address (an IP given to another
// Pod) wakes the server object and the slots, even when the server that
// answers there looks the same.
func TestNotifyPodChange(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	m := New(connections.New())
	m.Track(key, "orders", types.NamespacedName{Namespace: "ns", Name: "orders"}, 0)
	snap := func(pod string) *observation.Snapshot {
		id := &postgres.Identity{InRecovery: true, Timeline: 1, SystemIdentifier: "7000", VersionNum: 170010,
			PostmasterStart: time.Unix(1700000000, 0)}
		mb := observation.Member{Endpoint: observation.Endpoint{Host: "10.0.0.2", Port: 5432}, Pod: pod, Identity: id,
			Slots: map[string]postgres.Slot{"orders": {Name: "orders", Type: "physical"}}}
		s := observation.NewSnapshot(time.Now(), "", []observation.Member{mb})
		s.Fingerprint = serverFingerprint(s)
		return s
	}
	m.notify(context.Background(), key, snap("db-2"), snap("db-2"))
	if len(m.ServerEvents()) != 0 || len(m.SlotEvents()) != 0 {
		t.Fatalf("woken with nothing changed")
	}
	m.notify(context.Background(), key, snap("db-2"), snap("db-9"))
	if len(m.ServerEvents()) != 1 || len(m.SlotEvents()) != 1 {
		t.Errorf("server woken %d times, slots %d; want once each", len(m.ServerEvents()), len(m.SlotEvents()))
	}
}
