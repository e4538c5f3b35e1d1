package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// frRig is one run's servers: primary, standby, a subscriber consuming the
// slot through a proxy (as through a Service that follows the primary),
// and the insert load, which writes wherever writeTo points.
type frRig struct {
	major     int
	p, s, sub *pgtest.Server
	proxy     *pgtest.Proxy
	load      *pgtest.Load
	ns        string
	ready     time.Time // when the slot was seen Ready
	mu        sync.Mutex
	writeTo   *pgtest.Server
	cleanups  []func()
}

func (r *frRig) close() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (h *harness) failoverReadyRun(ctx context.Context, major, run int) (failoverReadyResult, error) {
	res := failoverReadyResult{Major: major}
	r := &frRig{major: major}
	defer r.close()
	if err := r.startServers(ctx, fmt.Sprintf("fr%d_%d", major, run)); err != nil {
		return res, err
	}
	var err error
	if res.Version, err = serverVersion(ctx, r.p); err != nil {
		return res, err
	}
	if res.StartLSN, err = h.declareAndSubscribe(ctx, r); err != nil {
		return res, err
	}
	if major >= 16 {
		h.measureFailoverReady(ctx, r, &res)
	} else {
		h.expectUnsupported(ctx, r, &res)
	}
	// Some load before the crash in every case (on 15 the condition comes
	// at once).
	if err := waitFor(30*time.Second, func() bool { return r.load.Committed() >= 200 }); err != nil {
		return res, fmt.Errorf("the load committed %d rows in 30s", r.load.Committed())
	}
	if err := h.failOver(ctx, r, &res); err != nil {
		return res, err
	}
	if err := h.compare(ctx, r, &res); err != nil {
		return res, err
	}
	fmt.Printf("failoverready: PostgreSQL %s: Ready→FailoverReady %s (%s); %d rows, lost %d, duplicates %d, extras %d, gap %s\n",
		res.Version, ms(res.FailoverReady), res.FailoverReadyReason, res.Rows, len(res.Missing), len(res.Duplicates), len(res.Extras), gapText(res.Gap))
	return res, nil
}

// startServers starts the primary (synchronous commit: an acknowledged row
// is in its WAL), its standby with the failover-slot settings, the
// subscriber, the table and publication, and the proxy.
func (r *frRig) startServers(ctx context.Context, name string) error {
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: r.major, Name: name,
		Settings: map[string]string{"synchronous_commit": "on"}})
	if err != nil {
		return err
	}
	r.p, r.writeTo = p, p
	r.cleanups = append(r.cleanups, p.Cleanup)
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return err
	}
	if r.major >= 16 {
		// What slotkeeper asks for: its self-heal speeds up creating the
		// copy on a PostgreSQL 16 standby.
		if err := p.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+role); err != nil {
			return err
		}
	}
	if err := r.startStandby(ctx, name+"_standby"); err != nil {
		return err
	}
	if err := p.Exec(ctx, `CREATE TABLE t (id bigint, lsn pg_lsn DEFAULT pg_current_wal_insert_lsn());
		CREATE PUBLICATION `+frPublication+` FOR TABLE t`); err != nil {
		return err
	}
	if r.sub, err = pgtest.StartPrimary(ctx, pgtest.Options{Major: r.major, Name: name + "_sub"}); err != nil {
		return err
	}
	r.cleanups = append(r.cleanups, r.sub.Cleanup)
	if err := r.sub.Exec(ctx, `CREATE TABLE t (id bigint, lsn pg_lsn)`); err != nil {
		return err
	}
	if r.proxy, err = pgtest.StartProxy(p.Addr()); err != nil {
		return err
	}
	r.cleanups = append(r.cleanups, r.proxy.Close)
	return nil
}

func (r *frRig) startStandby(ctx context.Context, slot string) error {
	settings := map[string]string{"hot_standby_feedback": "on"}
	if r.major >= 17 {
		settings["sync_replication_slots"] = "on"
	}
	s, err := r.p.AddStandby(ctx, slot, settings)
	if err != nil {
		return err
	}
	r.s = s
	r.cleanups = append(r.cleanups, s.Cleanup)
	if r.major < 17 {
		return nil
	}
	// Without it a consumer can receive changes the standby has not.
	return r.p.SetSettings(ctx, map[string]string{"synchronized_standby_slots": slot}, false)
}

// declareAndSubscribe declares the failover slot, waits until it is Ready,
// subscribes and starts the load. It returns the slot's starting position.
func (h *harness) declareAndSubscribe(ctx context.Context, r *frRig) (string, error) {
	ns, err := h.namespace(ctx, 0, nil, r.p, r.s)
	if err != nil {
		return "", err
	}
	r.ns = ns
	if err := h.waitServer(ctx, ns); err != nil {
		return "", err
	}
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: frSlot},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotLogical,
			Database: "postgres", Plugin: "pgoutput", Failover: true}}
	if err := h.c.Create(ctx, rs); err != nil {
		return "", err
	}
	readyRS, err := h.waitSlot(ctx, ns, time.Minute, "Ready", func(rs *api.ReplicationSlot) bool {
		return meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionReady)
	})
	if err != nil {
		return "", err
	}
	r.ready = time.Now()
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres connect_timeout=5", r.proxy.Host(), r.proxy.Port())
	if err := r.sub.Subscribe(ctx, "sub", conninfo, frSlot, frPublication, true); err != nil {
		return "", err
	}
	r.load = pgtest.StartLoad(ctx, func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.writeTo.SuperuserDSN("postgres")
	}, "t")
	r.cleanups = append(r.cleanups, func() { r.load.Stop() })
	return readyRS.Status.ConfirmedFlushLSN, nil
}

// measureFailoverReady is figure 1: Ready -> FailoverReady=True under the
// load (10 ms polls), with every False reason seen on the way.
func (h *harness) measureFailoverReady(ctx context.Context, r *frRig, res *failoverReadyResult) {
	seen := ""
	last, err := h.waitSlot(ctx, r.ns, 2*time.Minute, "FailoverReady=True", func(rs *api.ReplicationSlot) bool {
		c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionFailoverReady)
		if c != nil && c.Status != metav1.ConditionTrue && c.Reason+": "+c.Message != seen {
			seen = c.Reason + ": " + c.Message
			res.Waits = append(res.Waits, fmt.Sprintf("+%s %s", ms(time.Since(r.ready)), seen))
			fmt.Printf("failoverready: PostgreSQL %d: %s\n", r.major, res.Waits[len(res.Waits)-1])
		}
		return c != nil && c.Status == metav1.ConditionTrue
	})
	if c := meta.FindStatusCondition(last.Status.Conditions, api.ConditionFailoverReady); c != nil {
		res.FailoverReadyReason = c.Reason
	}
	if err != nil {
		res.FailoverReadyMiss = err.Error()
		return
	}
	res.FailoverReady = time.Since(r.ready)
}

// expectUnsupported checks that before PostgreSQL 16 the condition says
// Unsupported.
func (h *harness) expectUnsupported(ctx context.Context, r *frRig, res *failoverReadyResult) {
	last, err := h.waitSlot(ctx, r.ns, time.Minute, "a FailoverReady condition", func(rs *api.ReplicationSlot) bool {
		return meta.FindStatusCondition(rs.Status.Conditions, api.ConditionFailoverReady) != nil
	})
	if err != nil {
		res.FailoverReadyMiss = err.Error()
		return
	}
	c := meta.FindStatusCondition(last.Status.Conditions, api.ConditionFailoverReady)
	res.FailoverReadyReason = c.Reason
	if c.Status != metav1.ConditionFalse || c.Reason != api.ReasonUnsupported {
		res.FailoverReadyMiss = fmt.Sprintf("FailoverReady is %s/%s, not False/%s: %s", c.Status, c.Reason, api.ReasonUnsupported, c.Message)
	}
}

// failOver crashes the primary, promotes the standby, repoints the load
// and the consumer, and times the slot's return to Ready.
func (h *harness) failOver(ctx context.Context, r *frRig, res *failoverReadyResult) error {
	if r.major == 16 {
		// No synchronized_standby_slots before 17: a consumer can receive a
		// change before the standby does. The standby catches up first, so
		// that the crash loses nothing replication itself would keep. (On
		// 15 the slot itself is lost, and the load runs through the crash:
		// what the consumer loses is then what the reported gap must cover.)
		r.load.Pause()
		res.Paused = true
		if err := waitStandbyReplayed(ctx, r.p, r.s); err != nil {
			return err
		}
	}
	res.CommittedBefore = r.load.Committed()
	if err := r.p.Crash(); err != nil {
		return err
	}
	res.Crashed = true
	t0 := time.Now()
	if err := r.s.Promote(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.writeTo = r.s
	r.mu.Unlock()
	r.proxy.Repoint(r.s.Addr())
	resumed := time.Now()
	if res.Paused {
		r.load.Resume()
	}
	if _, err := h.waitSlot(ctx, r.ns, time.Minute, "Ready on the promoted server", func(rs *api.ReplicationSlot) bool {
		return rs.Status.Host == r.s.Addr() && meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionReady)
	}); err != nil {
		res.ReadyMiss = err.Error()
	} else {
		res.ReadyOnPromoted = time.Since(t0)
	}
	time.Sleep(time.Until(resumed.Add(time.Second)))
	_ = waitFor(30*time.Second, func() bool { return r.load.Committed() >= res.CommittedBefore+50 })
	r.load.Stop()
	return nil
}

// compare is figure 2: the subscriber's rows against the promoted
// server's, and whether a reported gap covers every lost row.
func (h *harness) compare(ctx context.Context, r *frRig, res *failoverReadyResult) error {
	truth, err := r.s.IDs(ctx, "t")
	if err != nil {
		return err
	}
	res.Rows = len(truth)
	if len(truth) == 0 {
		return errors.New("no rows on the promoted server")
	}
	// Changes arrive in commit order: once the highest id is there, every
	// row the consumer will ever get is.
	var got []int64
	res.SubscriberDone = waitFor(time.Minute, func() bool {
		got, err = r.sub.IDs(ctx, "t")
		return err == nil && slices.Contains(got, truth[len(truth)-1])
	}) == nil
	if got, err = r.sub.IDs(ctx, "t"); err != nil {
		return err
	}
	res.Missing, res.Extras, res.Duplicates = pgtest.CompareIDs(truth, got)
	var final api.ReplicationSlot
	if err := h.c.Get(ctx, keyOf(r.ns, frSlot), &final); err != nil {
		return err
	}
	res.Gap, res.Recreations = final.Status.LastDataGap, final.Status.Recreations
	if res.Gap == nil {
		return nil
	}
	lsns, err := r.s.IDLSNs(ctx, "t")
	if err != nil {
		return err
	}
	countGap(res, truth, lsns)
	return nil
}

// countGap sorts the rows by whether their insert position lies inside
// the reported gap [from, to).
func countGap(res *failoverReadyResult, truth []int64, lsns map[int64]string) {
	from, errFrom := postgres.ParseLSN(res.Gap.FromLSN)
	to, errTo := postgres.ParseLSN(res.Gap.ToLSN)
	inside := func(id int64) bool {
		at, err := postgres.ParseLSN(lsns[id])
		return err == nil && errFrom == nil && errTo == nil && at >= from && at < to
	}
	for _, id := range truth {
		if inside(id) {
			res.GapRows++
		}
	}
	for _, id := range res.Missing {
		if inside(id) {
			res.GapInside++
		} else {
			res.GapOutside = append(res.GapOutside, id)
		}
	}
}
