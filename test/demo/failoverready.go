package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// failoverReadyJSONPath prints the FailoverReady condition as status|reason|message.
const failoverReadyJSONPath = `jsonpath={.status.conditions[?(@.type=="FailoverReady")].status}|` +
	`{.status.conditions[?(@.type=="FailoverReady")].reason}|` +
	`{.status.conditions[?(@.type=="FailoverReady")].message}`

// waitFailoverReady follows the failover slot's FailoverReady condition
// until it is True, printing each state it passes through and when, so the
// reader sees what it waited for. Then it shows the copy on the standby.
func (d *demo) waitFailoverReady(ctx context.Context) error {
	fmt.Printf(`
FailoverReady=True on %s means: a failover now would lose nothing for its
consumer. The operator checks every standby's copy of the slot: it must
exist, be persistent (not temporary), and not lag behind what the consumer
has confirmed. Following the condition (kubectl get rslot %s -o jsonpath=...):
`, haSlot, haSlot)
	started, last := time.Now(), ""
	for {
		out, err := d.kubectl.Output(ctx, "get", "rslot", haSlot, "-o", failoverReadyJSONPath)
		if err != nil {
			return err
		}
		if out != last {
			last = out
			fmt.Printf("  +%-6s FailoverReady=%s\n", time.Since(started).Round(100*time.Millisecond), strings.ReplaceAll(out, "|", "  "))
		}
		if strings.HasPrefix(out, "True|") {
			break
		}
		if time.Since(started) > 2*time.Minute {
			d.explainFailure()
			return fmt.Errorf("FailoverReady is not True after 2 minutes: %s", out)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	fmt.Printf(`
  %s to True. What it waits for is PostgreSQL's slot sync worker on the
  standby: it sleeps between 200 ms and 30 s between cycles (longer while it
  finds nothing to do), and keeps a new copy temporary until the primary's
  slot has moved past it, that is until the consumer confirms progress.
`, time.Since(started).Round(100*time.Millisecond))
	return d.showCopies(ctx)
}

// showCopies prints the failover slots on the standby as PostgreSQL sees them.
func (d *demo) showCopies(ctx context.Context) error {
	s := d.pg.Standby
	fmt.Printf("\n$ psql -h %s -p %d -c 'SELECT slot_name, failover, synced, temporary, confirmed_flush_lsn FROM pg_replication_slots'   (on the standby)\n",
		s.Host, s.Port)
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT slot_name, failover, synced, temporary,
		coalesce(confirmed_flush_lsn::text, '') FROM pg_replication_slots ORDER BY slot_name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLOT_NAME\tFAILOVER\tSYNCED\tTEMPORARY\tCONFIRMED_FLUSH_LSN")
	for rows.Next() {
		var name, lsn string
		var failover, synced, temporary bool
		if err := rows.Scan(&name, &failover, &synced, &temporary, &lsn); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%t\t%t\t%t\t%s\n", name, failover, synced, temporary, lsn)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	_ = w.Flush()
	fmt.Printf(`
  orders_cdc_ha has a synchronized, persistent copy here; orders_cdc (no
  failover) and standby_b have none: they exist only on the primary.
`)
	return nil
}
