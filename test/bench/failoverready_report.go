package main

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

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
	b.WriteString("\nOn 16 the copy is a logical slot slotkeeper creates on the standby (the self-heal's `pg_log_standby_snapshot()` calls unblock the creation) and advances to the consumer's confirmed position; it counts only once the consumer's confirmed position, as slotkeeper sees it, has passed where the copy began. On 17+ PostgreSQL's slot sync worker makes the copy (it sleeps between 200 ms and 30 s between cycles, doubling while it finds nothing to update) and keeps it temporary until the primary's slot has moved past it, which happens only where the consumer's decoding meets a running-xacts record; the bgwriter writes one every 15 s at most, so while the copy is temporary and the consumer attached, slotkeeper writes one with `pg_log_standby_snapshot()` and polls again a `standbySnapshot.interval` (1 s) later. Only a ready copy counts, so FailoverReady waits on the consumer's progress either way.\n\n")

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
