package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// The two slots the demo puts side by side: the sample's plain logical slot
// and a failover slot declared next to it.
const (
	plainSlot = "orders-cdc"
	haSlot    = "orders-cdc-ha"
)

// failoverSlotManifest is the failover slot, applied after the samples.
const failoverSlotManifest = `# The same kind of slot as orders-cdc, with failover: true: on PostgreSQL 17
# the standby's slot sync worker keeps a copy of it.
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata:
  name: orders-cdc-ha
spec:
  serverRef:
    name: demo-db
  type: Logical
  database: orders
  plugin: pgoutput
  failover: true
`

// consumers are the demo's two subscribers and the writer they follow.
type consumers struct {
	proxy     *pgtest.Proxy  // stands for the Service in front of the primary
	ha, plain *pgtest.Server // one subscriber server per slot
	load      *pgtest.Load

	mu      sync.Mutex
	writeTo *pgtest.Server // where the writer inserts; the primary of the moment
}

// startConsumers starts one real subscriber per slot, both reaching the
// primary through a proxy, and a writer inserting rows one at a time.
func (d *demo) startConsumers(ctx context.Context) error {
	c := &consumers{writeTo: d.pg.Primary}
	d.cons = c
	var err error
	if c.proxy, err = pgtest.StartProxy(d.pg.Primary.Addr()); err != nil {
		return err
	}
	d.onCleanup(c.proxy.Close)
	if c.ha, err = c.subscribe(ctx, "consumer_ha", haSlot, true); err != nil {
		return err
	}
	if c.plain, err = c.subscribe(ctx, "consumer_plain", plainSlot, false); err != nil {
		return err
	}
	c.load = pgtest.StartLoad(context.WithoutCancel(ctx), c.writerDSN, eventsTable)
	d.onCleanup(func() { c.load.Stop() })
	fmt.Printf(`
Two real consumers: PostgreSQL subscriptions on servers of their own, which
reach the primary through %s, a TCP proxy standing for the Service in front
of the primary (it follows the primary after a failover, as a Service does).
  %-15s %s  subscribes through slot orders_cdc_ha (failover: true)
  %-15s %s  subscribes through slot orders_cdc (no failover)
A writer inserts into %s, one row at a time, ids 1, 2, 3, ...
`, c.proxy.Addr(), c.ha.Name(), c.ha.Addr(), c.plain.Name(), c.plain.Addr(), eventsTable)
	return d.waitFlowing(ctx)
}

// subscribe starts a subscriber server with the events table and subscribes
// it to slot (a ReplicationSlot's name; the PostgreSQL name has _ for -).
func (c *consumers) subscribe(ctx context.Context, name, slot string, failover bool) (*pgtest.Server, error) {
	sub, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: 17, Name: name})
	if err != nil {
		return nil, err
	}
	// No primary key: a row delivered twice shows as a duplicate.
	if err := sub.Exec(ctx, `CREATE TABLE `+eventsTable+` (id bigint, lsn pg_lsn)`); err != nil {
		return nil, err
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=%s connect_timeout=5",
		c.proxy.Host(), c.proxy.Port(), harness.Database)
	return sub, sub.Subscribe(ctx, name, conninfo, pgName(slot), publication, failover)
}

// writerDSN is where the writer connects on every (re)connect.
func (c *consumers) writerDSN() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeTo.SuperuserDSN(harness.Database)
}

// repoint sends the writer and the proxy to the promoted server, as the
// application and the Service would after a failover.
func (c *consumers) repoint(to *pgtest.Server) {
	c.mu.Lock()
	c.writeTo = to
	c.mu.Unlock()
	c.proxy.Repoint(to.Addr())
}

// waitFlowing waits until both consumers have applied rows.
func (d *demo) waitFlowing(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		ha, errHA := d.cons.ha.IDs(ctx, eventsTable)
		plain, errPlain := d.cons.plain.IDs(ctx, eventsTable)
		if errHA == nil && errPlain == nil && len(ha) >= 100 && len(plain) >= 100 {
			fmt.Printf("\nflowing: %d rows committed, %d applied by %s, %d by %s\n",
				d.cons.load.Committed(), len(ha), d.cons.ha.Name(), len(plain), d.cons.plain.Name())
			return nil
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("the consumers applied no rows within a minute (subscriber logs: %s, %s)",
		d.cons.ha.LogPath(), d.cons.plain.LogPath())
}

// pgName is the PostgreSQL slot name of a ReplicationSlot without
// spec.slotName: its metadata.name with - as _.
func pgName(object string) string { return strings.ReplaceAll(object, "-", "_") }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
