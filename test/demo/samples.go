package main

import (
	"context"
	"fmt"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// applySamples applies config/samples exactly as a user would, except that
// the ports point at the demo's servers.
func (d *demo) applySamples(ctx context.Context) error {
	primary, standby := d.pg.Primary.Port, d.pg.Standby.Port
	manifest, err := harness.RenderSamples(ctx, d.kubectl, d.paths.Root, primary, standby)
	if err != nil {
		return err
	}
	fmt.Printf("(ports %s and %s of the samples replaced by %d and %d)\n",
		harness.SamplePrimaryPort, harness.SampleStandbyPort, primary, standby)
	if err := d.kubectlShow(ctx, manifest, "apply", "-f", "-"); err != nil {
		return err
	}
	fmt.Printf("\n%s", failoverSlotManifest)
	return d.kubectlShow(ctx, failoverSlotManifest, "apply", "-f", "-")
}

// waitReady waits the way a user or a CI pipeline would: kubectl wait on the
// Ready condition. On failure it shows why before giving up.
func (d *demo) waitReady(ctx context.Context) error {
	return d.waitAll(ctx,
		[]string{"--for=condition=Ready", "pgserver", "--all", "--timeout=120s"},
		[]string{"--for=condition=Ready", "rslot", "--all", "--timeout=120s"})
}

// waitAll runs `kubectl wait` with each argument list in turn, guarded by
// the operator process: if the operator dies, the wait ends with that cause
// and the demo explains what the objects and the operator said.
func (d *demo) waitAll(ctx context.Context, waits ...[]string) error {
	ctx, cancel := d.operator.Guard(ctx)
	defer cancel()
	for _, args := range waits {
		err := d.kubectlShow(ctx, "", append([]string{"wait"}, args...)...)
		if err == nil {
			continue
		}
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		d.explainFailure()
		return err
	}
	return nil
}

// explainFailure prints what the objects and the operator say.
func (d *demo) explainFailure() {
	ctx := context.Background()
	_ = d.kubectlShow(ctx, "", "get", "pgserver,rslot", "-o", "wide")
	_ = d.kubectlShow(ctx, "", "describe", "pgserver,rslot")
	d.printOperatorTail(60)
}

// show prints the objects with a reader's guide to the columns, then the
// same slots from PostgreSQL's side.
func (d *demo) show(ctx context.Context) error {
	if err := d.kubectlShow(ctx, "", "get", "pgserver,rslot"); err != nil {
		return err
	}
	fmt.Print(`
  PostgresServer: PRIMARY is the member the operator found not in recovery,
  TIMELINE and VERSION are read from it, SLOTS counts the slots managed through
  ReplicationSlot objects, READY is the Ready condition.
  ReplicationSlot: SLOT is the name in PostgreSQL (metadata.name with - as _),
  ACTIVE says whether a consumer streams from it right now (none yet),
  RETAINED is the WAL the slot holds back on the primary, READY and STATUS are
  the Ready condition and its message.
`)
	if err := d.kubectlShow(ctx, "", "get", "pgserver,rslot", "-o", "wide"); err != nil {
		return err
	}
	fmt.Print(`
  -o wide adds the Ready message of the PostgresServer (STATUS), and for each
  slot the member that holds it (HOST) and RESTART LSN, the oldest WAL position
  the slot still needs: WAL from there on cannot be recycled.
`)
	if err := d.showPostgresSlots(ctx, d.pg.Primary, "the primary"); err != nil {
		return err
	}
	fmt.Print(`
  standby1 is the physical slot the demo's standby streams through; it has no
  ReplicationSlot object, so the operator counts it as unmanaged and leaves it alone.
`)
	d.printUsage()
	return nil
}

// printUsage tells the reader how to poke at the running demo.
func (d *demo) printUsage() {
	fmt.Printf(`
Use it from another shell:
  export KUBECONFIG=%s
  kubectl get rslot -w                 # any kubectl works; this one is %s
  kubectl describe rslot orders-cdc    # all conditions, and the events
  kubectl delete rslot standby-b       # the operator drops the slot
Operator log: %s
PostgreSQL: postgres://%s:%s@%s:%d/orders (primary), port %d (standby)
`, d.kube.Kubeconfig, d.kubectl.Bin, d.operator.LogPath,
		harness.Role, harness.Password, d.pg.Primary.Host, d.pg.Primary.Port, d.pg.Standby.Port)
}
