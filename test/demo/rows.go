package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// received is what one consumer holds, compared with the new primary.
type received struct {
	name, slot                 string
	got                        int
	missing, extra, duplicated []int64
}

// countRows lets the writer run on the new primary for a moment, stops it,
// waits for both consumers to catch up, and compares what each holds with
// the new primary's rows: the truth after the failover.
func (d *demo) countRows(ctx context.Context) error {
	c := d.cons
	before := c.load.Committed()
	waitUntil(ctx, 30*time.Second, func() bool { return c.load.Committed() >= before+200 })
	c.load.Stop()
	truth, err := rowsOn(ctx, d.pg.Standby)
	if err != nil {
		return err
	}
	ids := slices.Sorted(maps.Keys(truth))
	fmt.Printf("\nthe writer stopped: %d rows committed in all, %d of them on the new primary\n",
		c.load.Committed(), len(ids))
	ha, err := receivedBy(ctx, c.ha, haSlot, ids)
	if err != nil {
		return err
	}
	plain, err := receivedBy(ctx, c.plain, plainSlot, ids)
	if err != nil {
		return err
	}
	printReceived(len(ids), ha, plain)
	if len(ha.missing) == 0 {
		fmt.Printf(`
  %s, the consumer of the failover slot, resumed on the new primary where it
  had stopped and holds every one of its rows (%d duplicates).
`, ha.name, len(ha.duplicated))
	}
	if err := d.placeInGap(ctx, plain, truth); err != nil {
		return err
	}
	if len(ha.missing) > 0 {
		return fmt.Errorf("%s lost %d rows through its failover slot: %v", ha.name, len(ha.missing), head(ha.missing))
	}
	return nil
}

// receivedBy waits up to a minute for sub to hold the newest row, then
// compares what it holds with want. Changes arrive in commit order: once
// the newest row is there, every row the consumer will ever get is.
func receivedBy(ctx context.Context, sub *pgtest.Server, slot string, want []int64) (received, error) {
	newest := want[len(want)-1]
	var got []int64
	waitUntil(ctx, time.Minute, func() bool {
		var err error
		got, err = sub.IDs(ctx, eventsTable)
		return err == nil && slices.Contains(got, newest)
	})
	got, err := sub.IDs(ctx, eventsTable)
	if err != nil {
		return received{}, err
	}
	r := received{name: sub.Name(), slot: pgName(slot), got: len(got)}
	r.missing, r.extra, r.duplicated = pgtest.CompareIDs(want, got)
	return r, nil
}

func printReceived(truth int, rs ...received) {
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONSUMER\tSLOT\tROWS ON NEW PRIMARY\tRECEIVED\tMISSING\tDUPLICATES\tNOT ON NEW PRIMARY")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.name, r.slot, truth, r.got,
			len(r.missing), len(r.duplicated), len(r.extra))
	}
	_ = w.Flush()
}

// placeInGap checks the plain consumer's missing rows against the data gap
// its slot reports: each row's lsn column is where it was written.
func (d *demo) placeInGap(ctx context.Context, plain received, lsns map[int64]string) error {
	out, err := d.kubectl.Output(ctx, "get", "rslot", plainSlot, "-o",
		"jsonpath={.status.lastDataGap.fromLSN} {.status.lastDataGap.toLSN}")
	if err != nil {
		return err
	}
	from, to, ok := parseWindow(out)
	inside := 0
	for _, id := range plain.missing {
		at, err := postgres.ParseLSN(lsns[id])
		if ok && err == nil && at >= from && at < to {
			inside++
		}
	}
	window := strings.Replace(strings.TrimSpace(out), " ", "..", 1)
	fmt.Printf("\n  %s, the consumer of the plain slot, misses %d rows; %d of them were written\n"+
		"  inside the DataGap window %s that its slot reports", plain.name, len(plain.missing), inside, window)
	if inside < len(plain.missing) {
		// The operator must never tell less than the whole gap.
		fmt.Println(".")
		return fmt.Errorf("%d of the %d rows %s misses lie outside the data gap %s its slot reports",
			len(plain.missing)-inside, len(plain.missing), plain.name, window)
	}
	fmt.Print(": the report covers\n  everything that consumer must resynchronise.\n")
	if len(plain.extra) > 0 {
		fmt.Printf(`  It also holds %d rows the new primary never received (the old primary sent
  them to this consumer before they reached the standby): a plain slot's
  consumer can run ahead of a standby, which slotkeeper does not report yet.
`, len(plain.extra))
	}
	return nil
}

// parseWindow reads "FROM TO" as two LSNs.
func parseWindow(s string) (from, to postgres.LSN, ok bool) {
	parts := strings.Fields(s)
	if len(parts) != 2 {
		return 0, 0, false
	}
	from, errFrom := postgres.ParseLSN(parts[0])
	to, errTo := postgres.ParseLSN(parts[1])
	return from, to, errFrom == nil && errTo == nil
}

// waitUntil polls cond every 250 ms until it holds, limit passes or ctx ends.
func waitUntil(ctx context.Context, limit time.Duration, cond func() bool) {
	deadline := time.Now().Add(limit)
	for !cond() && time.Now().Before(deadline) && sleep(ctx, 250*time.Millisecond) == nil {
	}
}

// head is at most the first ten ids, for a message.
func head(ids []int64) []int64 { return ids[:min(len(ids), 10)] }
