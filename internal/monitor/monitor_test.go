package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// TestMonitorAgainstRealServers runs one monitor against a real primary and
// standby: it must find the primary, list slots, and wake the object that
// tracks a slot when that slot appears, without waiting for the next poll.
func TestMonitorAgainstRealServers(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL; run without -short (make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	primary := pgtest.StartPrimaryT(t, pgtest.Options{Major: 17, Name: "mon-primary"})
	if err := primary.CreateRole(ctx, "slotkeeper", "pw", true); err != nil {
		t.Fatal(err)
	}
	standby := primary.AddStandbyT(t, "mon_standby", nil)
	conns := connections.New()
	m := New(conns)
	go func() { _ = m.Start(ctx) }()
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	cfg := Config{
		Members: []observation.Endpoint{{Host: primary.Host, Port: int32(primary.Port)}, {Host: standby.Host, Port: int32(standby.Port)}},
		Conn:    postgres.ConnConfig{User: "slotkeeper", Password: "pw", Database: "postgres", TLSMode: "disable"},
		// A long poll: the wake-up below must come from Refresh, not a timer.
		PollInterval: time.Hour,
	}
	m.Ensure(key, cfg)
	snap := waitSnapshot(t, m, key, func(s *observation.Snapshot) bool { return s.PrimaryMember() != nil })
	if got := snap.PrimaryMember().Addr(); got != primary.Addr() {
		t.Fatalf("primary = %s, want %s", got, primary.Addr())
	}
	if snap.Members[1].Identity == nil || !snap.Members[1].Identity.InRecovery {
		t.Fatalf("standby not seen in recovery: %+v", snap.Members[1])
	}
	if _, ok := snap.PrimaryMember().Slots["mon_standby"]; !ok {
		t.Fatal("the standby's physical slot is missing from the listing")
	}

	obj := types.NamespacedName{Namespace: "ns", Name: "watcher"}
	m.Track(key, "watched", obj, 0)
	drain(m)
	if err := primary.Exec(ctx, "SELECT pg_create_physical_replication_slot('watched')"); err != nil {
		t.Fatal(err)
	}
	m.Refresh(key)
	select {
	case ev := <-m.SlotEvents():
		if ev.Object.GetName() != "watcher" {
			t.Fatalf("woke %s", ev.Object.GetName())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up for the tracked slot")
	}

	// Still with an hour between polls, the monitor sees the primary stop
	// (its sentinel connection breaks) and come back (fast re-probes while
	// there is no primary).
	if err := primary.Stop(); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, m, key, func(s *observation.Snapshot) bool { return s.PrimaryMember() == nil })
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, m, key, func(s *observation.Snapshot) bool { return s.PrimaryMember() != nil })

	// The monitor keeps the registry configured: pools to its members
	// while it watches the server, none once the server is removed.
	for _, member := range cfg.Members {
		if _, err := conns.Pool(ctx, key, member, ""); err != nil {
			t.Fatal(err)
		}
	}
	m.Remove(key)
	if m.Snapshot(key) != nil {
		t.Fatal("removed server still has a snapshot")
	}
	if _, err := conns.Pool(ctx, key, cfg.Members[0], ""); !errors.Is(err, connections.ErrUnknownServer) {
		t.Fatalf("pool of a removed server: %v, want ErrUnknownServer", err)
	}
}

func waitSnapshot(t *testing.T, m *Manager, key types.NamespacedName, ok func(*observation.Snapshot) bool) *observation.Snapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := m.Snapshot(key); s != nil && ok(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("snapshot condition not reached; last: %+v", m.Snapshot(key))
	return nil
}

func drain(m *Manager) {
	for {
		select {
		case <-m.SlotEvents():
		case <-m.ServerEvents():
		default:
			return
		}
	}
}
