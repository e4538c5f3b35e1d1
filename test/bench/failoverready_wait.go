package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// waitSlot reads the slot every 10 ms until ok holds, and returns the last
// object read; on timeout the error carries its conditions.
func (h *harness) waitSlot(ctx context.Context, ns string, limit time.Duration, what string, ok func(*api.ReplicationSlot) bool) (*api.ReplicationSlot, error) {
	return h.waitSlotNamed(ctx, ns, frSlot, limit, what, ok)
}

// waitSlotNamed is waitSlot for the ReplicationSlot called name.
func (h *harness) waitSlotNamed(ctx context.Context, ns, name string, limit time.Duration, what string, ok func(*api.ReplicationSlot) bool) (*api.ReplicationSlot, error) {
	rs := &api.ReplicationSlot{}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var cur api.ReplicationSlot
		if err := h.c.Get(ctx, keyOf(ns, name), &cur); err == nil {
			rs = &cur
			if ok(rs) {
				return rs, nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	var conds []string
	for _, c := range rs.Status.Conditions {
		if c.Type == api.ConditionReady || c.Type == api.ConditionFailoverReady {
			conds = append(conds, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
		}
	}
	return rs, fmt.Errorf("not %s after %s (%s)", what, limit, strings.Join(conds, "; "))
}

// waitFor polls cond every 50 ms for up to limit.
func waitFor(limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStandbyReplayed waits until s has replayed the WAL p has flushed.
func waitStandbyReplayed(ctx context.Context, p, s *pgtest.Server) error {
	conn, err := p.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var end string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_flush_lsn()::text").Scan(&end); err != nil {
		return err
	}
	sc, err := s.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer sc.Close(ctx)
	if waitFor(30*time.Second, func() bool {
		var ok bool
		return sc.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", end).Scan(&ok) == nil && ok
	}) != nil {
		return fmt.Errorf("the standby did not replay up to %s in 30s", end)
	}
	return nil
}

func serverVersion(ctx context.Context, s *pgtest.Server) (string, error) {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	err = conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0] // "17.10 (Debian ...)" -> "17.10"
	}
	return v, err
}
