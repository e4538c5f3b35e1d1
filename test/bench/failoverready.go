package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
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
