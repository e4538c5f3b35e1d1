package main

import (
	"context"
	"fmt"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// failover crashes the primary under load, promotes the standby the way a
// failover manager (Patroni, CloudNativePG, a human) would, points the
// writer and the consumers' proxy at it, and shows the operator putting
// every slot back on the new primary.
func (d *demo) failover(ctx context.Context) error {
	old, promoted := d.pg.Primary, d.pg.Standby
	fmt.Printf(`
Next: the primary %s crashes (immediate stop, as on a lost node) while the
writer is inserting, and the standby %s is promoted. Slots live only on the
server that has them: orders_cdc and standby_b vanish with the old primary,
and the operator recreates them on the new one. orders_cdc_ha has a
synchronized copy on the standby, which becomes the slot itself.
`, old.Addr(), promoted.Addr())
	committed := d.cons.load.Committed()
	if err := old.Crash(); err != nil {
		return err
	}
	fmt.Printf("\nprimary %s stopped in immediate mode (%d rows committed so far)\n", old.Addr(), committed)
	started := time.Now()
	if err := promoted.Promote(ctx); err != nil {
		return err
	}
	d.cons.repoint(promoted)
	fmt.Printf("standby %s promoted: it is now the primary, on timeline 2; the writer and the proxy follow it\n", promoted.Addr())
	if err := d.waitFollowed(ctx, promoted); err != nil {
		return err
	}
	fmt.Printf("\nEvery slot Ready on the new primary %s after the promotion was requested.\n",
		time.Since(started).Round(10*time.Millisecond))
	return d.showFailover(ctx, old, promoted)
}

// waitFollowed waits like a user would. Ready alone would return at once:
// the slots still carry their Ready=True from before the crash, so first
// wait until they name the promoted server as their host.
func (d *demo) waitFollowed(ctx context.Context, promoted *pgtest.Server) error {
	return d.waitAll(ctx,
		[]string{"--for=jsonpath={.status.host}=" + promoted.Addr(), "rslot", "--all", "--timeout=60s"},
		[]string{"--for=condition=Ready", "rslot", "--all", "--timeout=60s"})
}

// gapColumns shows, per slot, whether it carries a data gap and why.
const gapColumns = `custom-columns=NAME:.metadata.name,FAILOVER:.spec.failover,HOST:.status.host,` +
	`DATAGAP:.status.conditions[?(@.type=="DataGap")].status,REASON:.status.conditions[?(@.type=="DataGap")].reason,` +
	`RECREATIONS:.status.recreations`

// showFailover prints the objects, the events and PostgreSQL's own view
// after the failover, with what they mean for the slots' consumers.
func (d *demo) showFailover(ctx context.Context, old, promoted *pgtest.Server) error {
	if err := d.kubectlShow(ctx, "", "get", "pgserver,rslot", "-o", "wide"); err != nil {
		return err
	}
	fmt.Print(`
  The PostgresServer names the new PRIMARY on TIMELINE 2 (status.failovers
  counts it, status.lastFailoverTime dates it); each slot's HOST moved to it.
  FAILOVER (the FailoverReady condition) of orders-cdc-ha is False again: the
  new primary has no standby, so a second failover would lose the slot. It
  turns True once a standby with slot sync follows the new primary.
`)
	// A field selector cannot OR reasons: one kubectl per reason of interest.
	for _, reason := range []string{"Failover", "DataGap", "Created"} {
		if err := d.kubectlShow(ctx, "", "get", "events", "--field-selector", "reason="+reason,
			"--sort-by=.eventTime", "-o", "custom-columns=OBJECT:.involvedObject.name,TYPE:.type,REASON:.reason,MESSAGE:.message"); err != nil {
			return err
		}
	}
	if err := d.kubectlShow(ctx, "", "get", "rslot", "-o", gapColumns); err != nil {
		return err
	}
	if err := d.kubectlShow(ctx, "", "get", "rslot", plainSlot, "-o",
		`jsonpath={.status.conditions[?(@.type=="DataGap")].message}{"\n"}{.status.lastDataGap}{"\n"}`); err != nil {
		return err
	}
	explainGaps()
	if err := d.showPostgresSlots(ctx, promoted, "the new primary"); err != nil {
		return err
	}
	fmt.Printf(`
  standby1, the slot the old standby streamed through, stayed on the old
  primary. PostgreSQL is now postgres://%s:%s@%s:%d/orders; the old primary %s is down.
`, harness.Role, harness.Password, promoted.Host, promoted.Port, old.Addr())
	return nil
}

// explainGaps tells what the DATAGAP column means for each slot.
func explainGaps() {
	fmt.Print(`
  orders-cdc-ha, the failover slot, was not recreated: the promoted standby
  already had it, at a position its consumer had not passed. No DataGap: its
  consumer resumes where it stopped and loses nothing.

  standby-b, the physical slot, was recreated (RECREATIONS 1) without a
  DataGap: it holds only a WAL position for a standby, no decoded changes.

  orders-cdc, the plain logical slot, was recreated too, but its consumer can
  only resume from the new slot's position: the changes from
  lastDataGap.fromLSN (the last position the consumer had confirmed) to
  lastDataGap.toLSN (where the new slot starts) will never be decoded for it.
  DataGap=True says so, with reason Failover, until someone has resynchronised
  the consumer (for example a new snapshot of the affected tables) and
  acknowledges the gap (docs/operations.md, "Data gaps"):

    kubectl annotate rslot orders-cdc --overwrite \
      pg.slotkeeper.dev/acknowledge-data-gap="$(kubectl get rslot orders-cdc -o jsonpath='{.status.lastDataGap.at}')"
`)
}
