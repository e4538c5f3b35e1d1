package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// The failoverready scenario: a logical failover slot (pgoutput, failover:
// true) consumed by a real PostgreSQL subscriber under an insert load, per
// major version. Figure 1 is the time from the slot's Ready to
// FailoverReady=True; figure 2 what the consumer lost, got twice or got in
// excess across a crash of the primary and promotion of its standby, and on
// PostgreSQL 15 whether the data gap slotkeeper reports covers every lost
// row. Its section of BENCHMARKS.md is spliced into the file, so that
// `go run ./test/bench -only failoverready` refreshes it alone.

const (
	failoverReadyName    = "failoverready"
	failoverReadyHeading = "## Failover-ready logical slots under a real consumer"
	frSlot               = "cdc" // the ReplicationSlot, its slot and the subscription's slot_name
	frPublication        = "pub"
)

type failoverReadyResult struct {
	Major   int
	Version string // server_version of the primary
	Err     string // the run broke off here

	// Figure 1.
	FailoverReady       time.Duration // Ready observed -> FailoverReady=True observed
	FailoverReadyReason string        // the condition's reason when measured (True) or given up on
	FailoverReadyMiss   string        // why there is no time
	Waits               []string      // each False reason and message seen before True, with when

	// Figure 2.
	Crashed         bool
	Paused          bool // the load paused and the standby caught up before the crash (< 17)
	CommittedBefore int  // inserts acknowledged before the crash
	Rows            int  // rows on the promoted server
	ReadyOnPromoted time.Duration
	ReadyMiss       string
	SubscriberDone  bool // the subscriber got the promoted server's highest id within the limit
	Missing         []int64
	Duplicates      []int64
	Extras          []int64
	Gap             *api.DataGap
	StartLSN        string // the slot's confirmed_flush_lsn in status when Ready
	Recreations     int32
	GapInside       int // lost rows whose lsn lies in [from, to)
	GapRows         int // rows on the promoted server whose lsn lies in [from, to), lost or not
	GapOutside      []int64
}

// failoverReadyRuns repeats the scenario per major on fresh servers: the
// wait for FailoverReady depends on timers (PostgreSQL's slot sync naptime,
// the subscriber's feedback), so one run says little.
const failoverReadyRuns = 3

// failoverReadyBench runs the scenario on every installed major pgtest
// offers (PGTEST_MAJORS selects) and writes its section into the file at
// out.
func (h *harness) failoverReadyBench(ctx context.Context, out string) error {
	started := time.Now()
	var results [][]failoverReadyResult
	for _, major := range pgtest.MajorsFromEnv() {
		if _, err := pgtest.BinDir(major); err != nil {
			fmt.Printf("failoverready: PostgreSQL %d skipped: %v\n", major, err)
			continue
		}
		var runs []failoverReadyResult
		for run := range failoverReadyRuns {
			fmt.Printf("failoverready: PostgreSQL %d, run %d\n", major, run+1)
			res, err := h.failoverReadyRun(ctx, major, run)
			if err != nil {
				res.Err = err.Error()
				fmt.Printf("failoverready: PostgreSQL %d: %v\n", major, err)
			}
			runs = append(runs, res)
		}
		results = append(results, runs)
	}
	if len(results) == 0 {
		return errors.New("failoverready: no PostgreSQL major installed")
	}
	section := failoverReadySection(started, results)
	fmt.Print(section)
	return spliceSection(out, failoverReadyHeading, section)
}

func (h *harness) failoverReadyRun(ctx context.Context, major, run int) (failoverReadyResult, error) {
	res := failoverReadyResult{Major: major}
	name := fmt.Sprintf("fr%d_%d", major, run)
	// Synchronous commit: an acknowledged row is in the primary's WAL.
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: name,
		Settings: map[string]string{"synchronous_commit": "on"}})
	if err != nil {
		return res, err
	}
	defer p.Cleanup()
	if err := p.CreateRole(ctx, role, password, true); err != nil {
		return res, err
	}
	if major >= 16 {
		// What slotkeeper asks for: its self-heal speeds up creating the
		// copy on a PostgreSQL 16 standby.
		if err := p.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+role); err != nil {
			return res, err
		}
	}
	standbySlot := name + "_standby"
	standbySettings := map[string]string{"hot_standby_feedback": "on"}
	if major >= 17 {
		standbySettings["sync_replication_slots"] = "on"
	}
	s, err := p.AddStandby(ctx, standbySlot, standbySettings)
	if err != nil {
		return res, err
	}
	defer s.Cleanup()
	if major >= 17 {
		// Without it a consumer can receive changes the standby has not.
		if err := p.SetSettings(ctx, map[string]string{"synchronized_standby_slots": standbySlot}, false); err != nil {
			return res, err
		}
	}
	if res.Version, err = serverVersion(ctx, p); err != nil {
		return res, err
	}
	if err := p.Exec(ctx, `CREATE TABLE t (id bigint, lsn pg_lsn DEFAULT pg_current_wal_insert_lsn());
		CREATE PUBLICATION `+frPublication+` FOR TABLE t`); err != nil {
		return res, err
	}
	sub, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: major, Name: name + "_sub"})
	if err != nil {
		return res, err
	}
	defer sub.Cleanup()
	if err := sub.Exec(ctx, `CREATE TABLE t (id bigint, lsn pg_lsn)`); err != nil {
		return res, err
	}
	// The consumer reaches the primary through the proxy, as through a
	// Service that follows the primary.
	proxy, err := pgtest.StartProxy(p.Addr())
	if err != nil {
		return res, err
	}
	defer proxy.Close()

	ns, err := h.namespace(ctx, 0, nil, p, s)
	if err != nil {
		return res, err
	}
	if err := h.waitServer(ctx, ns); err != nil {
		return res, err
	}
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: frSlot},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotLogical,
			Database: "postgres", Plugin: "pgoutput", Failover: true}}
	if err := h.c.Create(ctx, rs); err != nil {
		return res, err
	}
	readyRS, err := h.waitSlot(ctx, ns, time.Minute, "Ready", func(rs *api.ReplicationSlot) bool {
		return meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionReady)
	})
	if err != nil {
		return res, err
	}
	ready := time.Now()
	res.StartLSN = readyRS.Status.ConfirmedFlushLSN
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres connect_timeout=5", proxy.Host(), proxy.Port())
	if err := sub.Subscribe(ctx, "sub", conninfo, frSlot, frPublication, true); err != nil {
		return res, err
	}
	var mu sync.Mutex
	writeTo := p
	load := pgtest.StartLoad(ctx, func() string {
		mu.Lock()
		defer mu.Unlock()
		return writeTo.SuperuserDSN("postgres")
	}, "t")
	defer load.Stop()

	// Figure 1: Ready -> FailoverReady=True under the load (10 ms polls).
	if major >= 16 {
		seen := ""
		last, err := h.waitSlot(ctx, ns, 2*time.Minute, "FailoverReady=True", func(rs *api.ReplicationSlot) bool {
			c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionFailoverReady)
			if c != nil && c.Status != metav1.ConditionTrue && c.Reason+": "+c.Message != seen {
				seen = c.Reason + ": " + c.Message
				res.Waits = append(res.Waits, fmt.Sprintf("+%s %s", ms(time.Since(ready)), seen))
				fmt.Printf("failoverready: PostgreSQL %d: %s\n", major, res.Waits[len(res.Waits)-1])
			}
			return c != nil && c.Status == metav1.ConditionTrue
		})
		if c := meta.FindStatusCondition(last.Status.Conditions, api.ConditionFailoverReady); c != nil {
			res.FailoverReadyReason = c.Reason
		}
		if err != nil {
			res.FailoverReadyMiss = err.Error()
		} else {
			res.FailoverReady = time.Since(ready)
		}
	} else {
		last, err := h.waitSlot(ctx, ns, time.Minute, "a FailoverReady condition", func(rs *api.ReplicationSlot) bool {
			return meta.FindStatusCondition(rs.Status.Conditions, api.ConditionFailoverReady) != nil
		})
		if err != nil {
			res.FailoverReadyMiss = err.Error()
		} else {
			c := meta.FindStatusCondition(last.Status.Conditions, api.ConditionFailoverReady)
			res.FailoverReadyReason = c.Reason
			if c.Status != metav1.ConditionFalse || c.Reason != api.ReasonUnsupported {
				res.FailoverReadyMiss = fmt.Sprintf("FailoverReady is %s/%s, not False/%s: %s", c.Status, c.Reason, api.ReasonUnsupported, c.Message)
			}
		}
	}
	// Some load before the crash in every case (on 15 the condition comes
	// at once).
	if err := waitFor(30*time.Second, func() bool { return load.Committed() >= 200 }); err != nil {
		return res, fmt.Errorf("the load committed %d rows in 30s", load.Committed())
	}

	// Figure 2: crash, promote, follow.
	if major == 16 {
		// No synchronized_standby_slots before 17: a consumer can receive a
		// change before the standby does. The standby catches up first, so
		// that the crash loses nothing replication itself would keep. (On
		// 15 the slot itself is lost, and the load runs through the crash:
		// what the consumer loses is then what the reported gap must cover.)
		load.Pause()
		res.Paused = true
		if err := waitStandbyReplayed(ctx, p, s); err != nil {
			return res, err
		}
	}
	res.CommittedBefore = load.Committed()
	if err := p.Crash(); err != nil {
		return res, err
	}
	res.Crashed = true
	t0 := time.Now()
	if err := s.Promote(ctx); err != nil {
		return res, err
	}
	mu.Lock()
	writeTo = s
	mu.Unlock()
	proxy.Repoint(s.Addr())
	resumed := time.Now()
	if res.Paused {
		load.Resume()
	}
	if _, err := h.waitSlot(ctx, ns, time.Minute, "Ready on the promoted server", func(rs *api.ReplicationSlot) bool {
		return rs.Status.Host == s.Addr() && meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionReady)
	}); err != nil {
		res.ReadyMiss = err.Error()
	} else {
		res.ReadyOnPromoted = time.Since(t0)
	}
	time.Sleep(time.Until(resumed.Add(time.Second)))
	_ = waitFor(30*time.Second, func() bool { return load.Committed() >= res.CommittedBefore+50 })
	load.Stop()

	truth, err := s.IDs(ctx, "t")
	if err != nil {
		return res, err
	}
	res.Rows = len(truth)
	if len(truth) == 0 {
		return res, errors.New("no rows on the promoted server")
	}
	// Changes arrive in commit order: once the highest id is there, every
	// row the consumer will ever get is.
	var got []int64
	res.SubscriberDone = waitFor(time.Minute, func() bool {
		got, err = sub.IDs(ctx, "t")
		return err == nil && slices.Contains(got, truth[len(truth)-1])
	}) == nil
	if got, err = sub.IDs(ctx, "t"); err != nil {
		return res, err
	}
	res.Missing, res.Extras, res.Duplicates = pgtest.CompareIDs(truth, got)

	var final api.ReplicationSlot
	if err := h.c.Get(ctx, keyOf(ns, frSlot), &final); err != nil {
		return res, err
	}
	res.Gap, res.Recreations = final.Status.LastDataGap, final.Status.Recreations
	if res.Gap != nil {
		lsns, err := s.IDLSNs(ctx, "t")
		if err != nil {
			return res, err
		}
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
	fmt.Printf("failoverready: PostgreSQL %s: Ready→FailoverReady %s (%s); %d rows, lost %d, duplicates %d, extras %d, gap %s\n",
		res.Version, ms(res.FailoverReady), res.FailoverReadyReason, res.Rows, len(res.Missing), len(res.Duplicates), len(res.Extras), gapText(res.Gap))
	return res, nil
}

// waitSlot reads the slot every 10 ms until ok holds, and returns the last
// object read; on timeout the error carries its conditions.
func (h *harness) waitSlot(ctx context.Context, ns string, limit time.Duration, what string, ok func(*api.ReplicationSlot) bool) (*api.ReplicationSlot, error) {
	rs := &api.ReplicationSlot{}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var cur api.ReplicationSlot
		if err := h.c.Get(ctx, keyOf(ns, frSlot), &cur); err == nil {
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

func gapText(g *api.DataGap) string {
	if g == nil {
		return "none"
	}
	t := fmt.Sprintf("%s: %s..%s", g.Reason, g.FromLSN, g.ToLSN)
	if g.Bytes != nil {
		t += fmt.Sprintf(", %d bytes", *g.Bytes)
	}
	return t
}

func (r failoverReadyResult) version() string {
	if r.Version != "" {
		return r.Version
	}
	return fmt.Sprint(r.Major)
}

// verdict says whether the run met its target, and if not, why.
func (r failoverReadyResult) verdict() (bool, string) {
	var why []string
	if r.Err != "" {
		why = append(why, "run broke off: "+r.Err)
	}
	if r.FailoverReadyMiss != "" {
		why = append(why, "FailoverReady: "+r.FailoverReadyMiss)
	}
	if r.ReadyMiss != "" {
		why = append(why, "promoted server: "+r.ReadyMiss)
	}
	if r.Crashed && !r.SubscriberDone {
		why = append(why, "the subscriber did not get the promoted server's highest id within 60 s")
	}
	if r.Major >= 16 {
		if n := len(r.Missing); n > 0 {
			why = append(why, fmt.Sprintf("the consumer lost %d rows", n))
		}
	} else {
		if r.Crashed && r.Gap == nil {
			why = append(why, "no data gap reported")
		}
		if n := len(r.GapOutside); n > 0 {
			why = append(why, fmt.Sprintf("%d lost rows lie outside the reported gap (ids %v)", n, head(r.GapOutside)))
		}
	}
	return len(why) == 0, strings.Join(why, "; ")
}

func head(ids []int64) []int64 { return ids[:min(len(ids), 10)] }

func failoverReadySection(started time.Time, results [][]failoverReadyResult) string {
	var b strings.Builder
	b.WriteString(failoverReadyHeading + "\n\n")
	var versions []string
	for _, runs := range results {
		versions = append(versions, runs[0].version())
	}
	fmt.Fprintf(&b, "Written by `make bench` (or `go run ./test/bench -only %s`, which refreshes this section alone) on %s. Machine: %s, %d CPUs, %s; %s; PostgreSQL %s (internal/pgtest); kube-apiserver v1.36 (envtest); the operator's controllers in-process with default options. %d runs per version, each on fresh servers.\n\n",
		failoverReadyName, started.UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), memTotal(), runtime.Version(), strings.Join(versions, ", "), failoverReadyRuns)
	b.WriteString("Per run: a primary (`synchronous_commit = on`) and a streaming standby (`hot_standby_feedback = on`; on 17+ also `sync_replication_slots = on`, and the primary's `synchronized_standby_slots` names the standby's slot, set by reload); on 16+ the operator's role may run `pg_log_standby_snapshot()`. Table `t(id bigint, lsn pg_lsn DEFAULT pg_current_wal_insert_lsn())` and a publication in database postgres; a separate subscriber server with `t(id bigint, lsn pg_lsn)`. A ReplicationSlot (logical, pgoutput, database postgres, `failover: true`) is applied; once Ready, the subscriber runs `CREATE SUBSCRIPTION` on it (`create_slot = false`, `copy_data = false`; `failover = true` on 17+) through a TCP proxy that stands for a Service, and an insert load starts (one autocommitted INSERT at a time, at most one per 2 ms, ids 1, 2, 3, …).\n\n")

	b.WriteString("### Ready → FailoverReady=True, under the load\n\nFrom the moment Ready=True is seen to the moment FailoverReady=True is seen (API polled every 10 ms); this includes CREATE SUBSCRIPTION and the start of the load. PostgreSQL 15 has no logical failover slots: there the condition must be False with reason Unsupported.\n\n")
	b.WriteString("| PostgreSQL | median | runs | FailoverReady reason |\n|---|---|---|---|\n")
	for _, runs := range results {
		var times, reasons []string
		var ds []time.Duration
		unsupported := true
		for _, r := range runs {
			reasons = append(reasons, orDash(r.FailoverReadyReason))
			ok := r.Err == "" && r.FailoverReadyMiss == ""
			unsupported = unsupported && ok && r.Major < 16 && r.FailoverReadyReason == api.ReasonUnsupported
			switch {
			case ok && r.Major < 16:
				times = append(times, "n/a")
			case ok && r.FailoverReady > 0:
				times = append(times, ms(r.FailoverReady))
				ds = append(ds, r.FailoverReady)
			default:
				times = append(times, "**miss**")
			}
		}
		med := "—"
		switch {
		case unsupported:
			med = "n/a (Unsupported)"
		case len(ds) == len(runs):
			slices.Sort(ds)
			med = ms(ds[len(ds)/2])
		case runs[0].Major < 16:
			med = "**miss**"
		default:
			med = fmt.Sprintf("**miss** (%d of %d runs reached True)", len(ds), len(runs))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", runs[0].version(), med, strings.Join(times, ", "), strings.Join(slices.Compact(reasons), ", "))
	}
	b.WriteString("\nWhat FailoverReady said before True, in the slowest run of each version (time since Ready):\n\n")
	for _, runs := range results {
		if runs[0].Major < 16 {
			continue
		}
		slow := slices.MaxFunc(runs, func(x, y failoverReadyResult) int { return cmp.Compare(x.FailoverReady, y.FailoverReady) })
		waits := []string{"—"}
		if len(slow.Waits) > 0 {
			waits = nil
			for _, w := range slow.Waits {
				waits = append(waits, "`"+w+"`")
			}
		}
		fmt.Fprintf(&b, "- %s (%s): %s.\n", slow.version(), ms(slow.FailoverReady), strings.Join(waits, "; "))
	}
	b.WriteString("\nOn 16 the copy is a logical slot slotkeeper creates on the standby (the self-heal's `pg_log_standby_snapshot()` calls unblock the creation) and advances to the consumer's confirmed position; it counts only once the consumer's confirmed position, as slotkeeper sees it, has passed where the copy began. On 17+ PostgreSQL's slot sync worker makes the copy (it sleeps between 200 ms and 30 s between cycles, doubling while it finds nothing to update) and keeps it temporary until the primary's slot has moved past it. Only a ready copy counts, so FailoverReady waits on the consumer's progress either way.\n\n")

	b.WriteString("### Rows the consumer lost across a failover\n\nAfter at least 200 acknowledged rows: on 16 (no `synchronized_standby_slots`) the load pauses and the standby replays the primary's flush LSN first, so the crash loses nothing replication itself keeps; on 15 and 17+ the load runs on through the crash. Then `immediate` stop of the primary, promotion of the standby, the proxy and the load repointed at it (on 16 the load resumed), at least 1 s (and 50 rows) more load, stop; then up to 60 s for the subscriber to hold the promoted server's highest id. Compared: the ids on the promoted server against the subscriber's. Lost = on the promoted server, never applied by the subscriber; duplicates = applied twice; extras = applied but not on the promoted server. The data gap is the slot's `status.lastDataGap`; a row is inside it when its `lsn` (the WAL insert position when it was written) lies in [from, to).\n\n")
	b.WriteString("| PostgreSQL | run | rows on the promoted server | lost | duplicates | extras | reported data gap (from..to, bytes) | lost rows inside the gap | rows inside the gap (lost or not) | promote → slot Ready on the promoted server | target | result |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var misses []string
	for _, runs := range results {
		for i, r := range runs {
			target := "0 lost"
			if r.Major < 16 {
				target = "gap reported, every lost row inside it"
			}
			ok, why := r.verdict()
			result := "met"
			if !ok {
				result = "**miss**"
				misses = append(misses, fmt.Sprintf("- PostgreSQL %s, run %d: %s.", r.version(), i+1, why))
			}
			if !r.Crashed {
				fmt.Fprintf(&b, "| %s | %d | — | — | — | — | — | — | — | — | %s | %s |\n", r.version(), i+1, target, result)
				continue
			}
			inside, rows := "—", "—"
			if r.Gap != nil {
				inside, rows = fmt.Sprintf("%d of %d", r.GapInside, len(r.Missing)), fmt.Sprint(r.GapRows)
			}
			ready := ms(r.ReadyOnPromoted)
			if r.ReadyMiss != "" {
				ready = "**not Ready**"
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", r.version(), i+1, r.Rows,
				len(r.Missing), len(r.Duplicates), len(r.Extras), gapText(r.Gap), inside, rows, ready, target, result)
		}
	}
	if len(misses) > 0 {
		b.WriteString("\nMisses:\n\n" + strings.Join(misses, "\n") + "\n")
	}
	gaps, atStart := 0, 0
	for _, runs := range results {
		for _, r := range runs {
			if r.Major < 16 && r.Gap != nil {
				gaps++
				if r.Gap.FromLSN == r.StartLSN {
					atStart++
				}
			}
		}
	}
	if gaps > 0 {
		fmt.Fprintf(&b, "\nOn 15 the reported gap began at the slot's position when it became Ready in %d of %d runs: slotkeeper had not seen the consumer confirm anything later between Ready and the crash (about a second of load), so the gap also spans rows the consumer did receive (the column \"rows inside the gap\").\n", atStart, gaps)
	}
	b.WriteString("\nOn 15 the slot is lost with the primary: slotkeeper recreates it on the promoted server and reports the changes from the consumer's last known position to the new slot's start as the gap. What the consumer actually loses is what it had not received when the primary crashed plus what was written on the promoted server before the new slot existed; the gap is an upper bound (it starts at the position slotkeeper last saw confirmed, which trails the consumer).\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// spliceSection replaces the section that starts with heading in the
// Markdown file at path (up to the next "## " heading), or appends it; the
// rest of the file is kept.
func spliceSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = []byte("# Benchmarks\n"), nil
	}
	if err != nil {
		return err
	}
	text := string(old)
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		return os.WriteFile(path, []byte(strings.TrimRight(text, "\n")+"\n\n"+section), 0o644)
	}
	start++
	rest := ""
	if i := strings.Index(text[start+len(heading):], "\n## "); i >= 0 {
		rest = "\n" + text[start+len(heading)+i+1:]
	}
	return os.WriteFile(path, []byte(text[:start]+section+rest), 0o644)
}
