package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/api/meta"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

type selfHealResult struct {
	CommitToReady     time.Duration
	StandbyHealed     time.Duration
	StandbyDisabled   string // "not Ready after N s", or the time if it was
	StandbyDisabledOK bool
}

// commitToReady: a transaction holding an xid blocks a logical slot's
// creation on the primary; timed from its COMMIT to Ready.
func (h *harness) commitToReady(ctx context.Context, major int) (time.Duration, error) {
	p, err := startPairPrimaryOnly(ctx, major)
	if err != nil {
		return 0, err
	}
	defer p.Cleanup()
	ns, err := h.namespace(ctx, 0, nil, p)
	if err != nil {
		return 0, err
	}
	conn, err := pgx.Connect(ctx, p.SuperuserDSN("postgres"))
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "SELECT txid_current()"); err != nil {
		return 0, err
	}
	if err := h.c.Create(ctx, slotObj(ns, 0, true)); err != nil {
		return 0, err
	}
	if err := h.waitCondition(ctx, ns, "s000", api.ConditionCreationBlocked, time.Minute); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	if err := h.waitReady(ctx, ns, "", 1, time.Minute); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// standbyToReady: a logical slot on the standby of an idle primary, timed
// from apply to Ready; with self-heal disabled it is given limit.
func (h *harness) standbyToReady(ctx context.Context, major int, heal bool, limit time.Duration) (time.Duration, error) {
	p, s, err := startPair(ctx, major, fmt.Sprintf("sb_heal_%t", heal))
	if err != nil {
		return 0, err
	}
	defer p.Cleanup()
	defer s.Cleanup()
	if err := p.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+role); err != nil {
		return 0, err
	}
	mode := api.StandbySnapshotAuto
	if !heal {
		mode = api.StandbySnapshotDisabled
	}
	ns, err := h.namespace(ctx, 0, &api.StandbySnapshotSpec{Mode: mode}, p, s)
	if err != nil {
		return 0, err
	}
	if err := h.waitServer(ctx, ns); err != nil {
		return 0, err
	}
	waitIdle(ctx, p)
	rs := slotObj(ns, 0, true)
	rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: s.Host, Port: int32(s.Port)}
	t0 := time.Now()
	if err := h.c.Create(ctx, rs); err != nil {
		return 0, err
	}
	if err := h.waitReady(ctx, ns, s.Addr(), 1, limit); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// waitIdle waits for the bgwriter's running-xacts record for the setup's
// WAL (the WAL position moves once more, within ~25 s; at most 30 s are
// waited): a creation on the standby that starts right after it needs the
// next record, which an idle primary never writes — the case self-heal
// exists for. (A creation started long after the last record was observed
// to finish at once in one run: where the standby's replay position falls
// matters, so this setup is the one that reproduces the hang.)
func waitIdle(ctx context.Context, p *pgtest.Server) {
	conn, err := p.Connect(ctx, "postgres")
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	lsn := func() string {
		var l string
		_ = conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&l)
		return l
	}
	start := lsn()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && lsn() == start; {
		time.Sleep(200 * time.Millisecond)
	}
}

func (h *harness) waitCondition(ctx context.Context, ns, name, cond string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var rs api.ReplicationSlot
		if err := h.c.Get(ctx, keyOf(ns, name), &rs); err == nil && meta.IsStatusConditionTrue(rs.Status.Conditions, cond) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s/%s: %s not True after %s", ns, name, cond, limit)
}

func (h *harness) selfHeal(ctx context.Context, major int) (selfHealResult, error) {
	var r selfHealResult
	var err error
	if r.CommitToReady, err = h.commitToReady(ctx, major); err != nil {
		return r, fmt.Errorf("commit to ready: %w", err)
	}
	if r.StandbyHealed, err = h.standbyToReady(ctx, major, true, time.Minute); err != nil {
		return r, fmt.Errorf("standby with self-heal: %w", err)
	}
	const limit = 30 * time.Second
	d, err := h.standbyToReady(ctx, major, false, limit)
	r.StandbyDisabled = ms(d)
	if err != nil {
		r.StandbyDisabled = fmt.Sprintf("not Ready after %s", limit)
	}
	return r, nil
}
