package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// rejoinReady: on 17+, a logical failover slot FailoverReady on a pair
// whose standby runs the slot sync worker; then a switchover (the primary
// stopped cleanly, the standby promoted) and the old primary rejoins as a
// standby, keeping its now stale copy of the slot. Timed from the end of
// the rejoin to FailoverReady=True, while a consumer stands in (the slot
// advanced to the end of WAL every 200 ms after a write).
func (h *harness) rejoinReady(ctx context.Context, major int) (rejoinTimes, error) {
	sync := map[string]string{"sync_replication_slots": "on", "hot_standby_feedback": "on"}
	old, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: "onepoll_rejoin"})
	if err != nil {
		return rejoinTimes{}, err
	}
	defer old.Cleanup()
	if err := old.CreateRole(ctx, role, password, true); err != nil {
		return rejoinTimes{}, err
	}
	// As the install guide asks: the record that lets the sync worker
	// persist its copy (snapshotForSync) is written with it.
	if err := old.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+pgx.Identifier{role}.Sanitize()); err != nil {
		return rejoinTimes{}, err
	}
	promoted, err := old.AddStandby(ctx, "onepoll_rejoin_sb", sync)
	if err != nil {
		return rejoinTimes{}, err
	}
	defer promoted.Cleanup()
	ns, err := h.failoverReadyOn(ctx, old, promoted)
	if err != nil {
		return rejoinTimes{}, err
	}
	if err := h.promoteAway(ctx, ns, old, promoted); err != nil {
		return rejoinTimes{}, err
	}
	if err := rejoin(ctx, old, promoted, sync); err != nil {
		return rejoinTimes{}, err
	}
	return h.timeRejoined(ctx, ns, old, promoted)
}

// timeRejoined times FailoverReady=True on promoted from now, the end of
// old's rejoin, and from the moment old's copy was persistent.
func (h *harness) timeRejoined(ctx context.Context, ns string, old, promoted *pgtest.Server) (rejoinTimes, error) {
	t0 := time.Now()
	watch, err := watchPersisted(ctx, old, "s000")
	if err != nil {
		return rejoinTimes{}, err
	}
	stop := consumeEvery(ctx, promoted, "s000")
	defer stop()
	_, err = h.waitSlotNamed(ctx, ns, "s000", time.Minute, "FailoverReady after the rejoin", func(rs *api.ReplicationSlot) bool {
		return rs.Status.Host == promoted.Addr() && reasonIs(api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)(rs)
	})
	ready := time.Now()
	persisted := watch.stop()
	if err == nil && persisted.IsZero() {
		err = fmt.Errorf("FailoverReady, but the standby's copy was never seen persistent")
	}
	return rejoinTimes{fromRejoin: ready.Sub(t0), fromPersist: max(ready.Sub(persisted), 0)}, err
}

// rejoinTimes: from the end of the rejoin, and from the moment the
// standby's copy was persistent, to FailoverReady=True.
type rejoinTimes struct{ fromRejoin, fromPersist time.Duration }

// failoverReadyOn declares a logical failover slot on the pair and waits,
// with a consumer standing in, until it is FailoverReady.
func (h *harness) failoverReadyOn(ctx context.Context, p, s *pgtest.Server) (string, error) {
	ns, err := h.namespace(ctx, 0, nil, p, s)
	if err != nil {
		return "", err
	}
	rs := slotObj(ns, 0, true)
	rs.Spec.Database, rs.Spec.Failover = "postgres", true
	if err := h.c.Create(ctx, rs); err != nil {
		return "", err
	}
	stop := consumeEvery(ctx, p, "s000")
	defer stop()
	_, err = h.waitSlotNamed(ctx, ns, rs.Name, time.Minute, "FailoverReady", reasonIs(api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced))
	return ns, err
}

// promoteAway stops old cleanly, promotes the standby and waits until the
// slot reports the failover (no standby left, so not FailoverReady), so
// the figure after the rejoin cannot be the old verdict.
func (h *harness) promoteAway(ctx context.Context, ns string, old, promoted *pgtest.Server) error {
	if err := old.Stop(); err != nil {
		return err
	}
	if err := promoted.Promote(ctx); err != nil {
		return err
	}
	_, err := h.waitSlotNamed(ctx, ns, "s000", time.Minute, "on the promoted server", func(rs *api.ReplicationSlot) bool {
		return rs.Status.Host == promoted.Addr() && !reasonIs(api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)(rs)
	})
	return err
}

// rejoin makes the stopped former primary a standby of promoted, with the
// slot sync worker on.
func rejoin(ctx context.Context, old, promoted *pgtest.Server, sync map[string]string) error {
	if err := old.SetSettings(ctx, sync, false); err != nil {
		return err
	}
	return old.Rejoin(ctx, promoted, "rejoined")
}

// consumeEvery stands in for a consumer of a logical slot on srv: a write,
// then the slot advanced to the end of WAL, every 200 ms until stopped.
func consumeEvery(ctx context.Context, srv *pgtest.Server, slot string) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = srv.Exec(ctx, "CREATE TABLE IF NOT EXISTS consumed(x int); INSERT INTO consumed VALUES (1)")
			_ = srv.Exec(ctx, "SELECT pg_replication_slot_advance($1, pg_current_wal_lsn())", slot)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); <-done }
}
