package postgres

import (
	"context"
	"testing"
	"time"
)

// testIdleTimeout checks that idle_replication_slot_timeout is read (18+)
// and absent before, and what PostgreSQL 18 does with it: its unit, its
// smallest value, and that a checkpoint invalidates an inactive slot older
// than the timeout with reason idle_timeout. It runs last: the timeout
// applies to every inactive slot of the primary.
func (e *env) testIdleTimeout(t *testing.T) {
	ctx := t.Context()
	id, err := Identify(ctx, e.connect(t, e.primary, "postgres"))
	must(t, err)
	if id.Settings.EffectiveWALLevel != "" {
		t.Errorf("effective_wal_level exists before 19: %q", id.Settings.EffectiveWALLevel)
	}
	if !id.InvalidatesIdleSlots() {
		if id.Settings.IdleReplicationSlotTimeout != "" || id.Settings.IdleSlotTimeout() != 0 {
			t.Fatalf("PostgreSQL %d has idle_replication_slot_timeout %q", e.major, id.Settings.IdleReplicationSlotTimeout)
		}
		return
	}
	if id.Settings.IdleReplicationSlotTimeout != "0" || id.Settings.IdleSlotTimeout() != 0 {
		t.Fatalf("default idle_replication_slot_timeout = %q, want 0 (off)", id.Settings.IdleReplicationSlotTimeout)
	}
	e.checkIdleTimeoutUnit(t)
	const slot = "idle_probe"
	conn := e.connect(t, e.primary, "postgres")
	_, err = conn.Exec(ctx, "SELECT pg_create_physical_replication_slot($1, true)", slot)
	must(t, err)
	t.Cleanup(func() { _ = e.primary.Exec(context.Background(), "SELECT pg_drop_replication_slot('idle_probe')") })
	// 1s is the smallest timeout that is not off.
	must(t, e.primary.SetSettings(ctx, map[string]string{"idle_replication_slot_timeout": "1s"}, false))
	t.Cleanup(func() {
		_ = e.primary.SetSettings(context.Background(), map[string]string{"idle_replication_slot_timeout": "0"}, false)
	})
	id, err = Identify(ctx, e.connect(t, e.primary, "postgres"))
	must(t, err)
	if id.Settings.IdleReplicationSlotTimeout != "1s" || id.Settings.IdleSlotTimeout() != time.Second {
		t.Fatalf("idle_replication_slot_timeout read as %q", id.Settings.IdleReplicationSlotTimeout)
	}
	row := e.idleInvalidated(t, slot)
	if row.InvalidationReason != "idle_timeout" || row.WALStatus != "lost" {
		t.Fatalf("after the timeout and a CHECKPOINT: invalidation_reason %q, wal_status %q", row.InvalidationReason, row.WALStatus)
	}
}

// checkIdleTimeoutUnit: the setting is in seconds from 0, and the value as
// current_setting() shows it casts to an interval (the runbook's query).
func (e *env) checkIdleTimeoutUnit(t *testing.T) {
	var unit string
	var minVal int
	must(t, superRow(t, e.primary, "SELECT unit, min_val::int FROM pg_settings WHERE name = 'idle_replication_slot_timeout'", &unit, &minVal))
	if unit != "s" || minVal != 0 {
		t.Fatalf("idle_replication_slot_timeout unit %q, min %d: want seconds from 0", unit, minVal)
	}
	conn := e.connect(t, e.primary, "postgres")
	for v, want := range map[string]time.Duration{"1d": 24 * time.Hour, "30min": 30 * time.Minute, "1h": time.Hour, "1s": time.Second} {
		var secs float64
		must(t, conn.QueryRow(t.Context(), "SELECT extract(epoch FROM $1::text::interval)::float8", v).Scan(&secs))
		if time.Duration(secs*float64(time.Second)) != want {
			t.Errorf("%q::interval = %vs, want %s", v, secs, want)
		}
	}
}

// idleInvalidated waits past the timeout, checkpoints, and reads the slot.
func (e *env) idleInvalidated(t *testing.T, slot string) *Slot {
	ctx := t.Context()
	time.Sleep(2 * time.Second)
	must(t, e.primary.Exec(ctx, "CHECKPOINT"))
	row, err := GetSlot(ctx, e.connect(t, e.primary, "postgres"), e.versionNum(), slot)
	must(t, err)
	if row == nil {
		t.Fatalf("slot %s is gone", slot)
	}
	return row
}
