package observation

import (
	"testing"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// A running-xacts record is worth writing only for a temporary synced
// copy, on a standby whose sync worker is on, of a failover slot in use.
func TestSyncAwaitsPrimary(t *testing.T) {
	standby := func(version int, sync string, copies ...postgres.Slot) *Member {
		m := &Member{Identity: &postgres.Identity{VersionNum: version, InRecovery: true}, Slots: map[string]postgres.Slot{}}
		m.Identity.Settings.SyncReplicationSlots = sync
		for _, c := range copies {
			m.Slots[c.Name] = c
		}
		return m
	}
	slot := func(active, failover bool) *postgres.Slot {
		return &postgres.Slot{Name: "cdc", Type: "logical", Active: active, Failover: failover}
	}
	temporary := postgres.Slot{Name: "cdc", Type: "logical", Synced: true, Temporary: true}
	persistent := postgres.Slot{Name: "cdc", Type: "logical", Synced: true}
	for _, c := range []struct {
		name    string
		primary *postgres.Slot
		m       *Member
		moving  bool
		want    bool
	}{
		{"temporary copy, consumer attached", slot(true, true), standby(170000, "on", temporary), false, true},
		{"temporary copy on 18", slot(true, true), standby(180000, "on", temporary), false, true},
		{"no consumer: nothing would move the slot", slot(false, true), standby(170000, "on", temporary), false, false},
		{"a consumer that reads now and then, detached, moving the slot", slot(false, true), standby(170000, "on", temporary), true, true},
		{"copy persistent already", slot(true, true), standby(170000, "on", persistent), false, false},
		{"no copy yet: the worker has not made one", slot(true, true), standby(170000, "on"), false, false},
		{"sync worker off", slot(true, true), standby(170000, "off", temporary), false, false},
		{"not a failover slot", slot(true, false), standby(170000, "on", temporary), false, false},
		{"16: no slot sync", slot(true, true), standby(160000, "", temporary), false, false},
		{"primary slot unknown", nil, standby(170000, "on", temporary), false, false},
	} {
		if got := SyncAwaitsPrimary(c.primary, c.m, c.moving); got != c.want {
			t.Errorf("%s: SyncAwaitsPrimary = %v, want %v", c.name, got, c.want)
		}
	}
}
