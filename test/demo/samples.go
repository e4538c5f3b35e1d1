package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
)

// The samples point at 127.0.0.1:5432 (primary) and :5433 (standby); the demo
// servers listen on 127.0.0.1 too, on free ports.
const (
	samplePrimaryPort = "5432"
	sampleStandbyPort = "5433"
)

// samplePort matches a `port:` line of the rendered samples (with or without
// the list dash), so values like 54321 or targetPort are never touched.
var samplePort = regexp.MustCompile(`(?m)^([ \t]*(?:- )?port: )(\d+)[ \t]*$`)

// applySamples applies config/samples exactly as a user would, except that
// the ports point at the demo's servers.
func (d *demo) applySamples(ctx context.Context) error {
	manifest, err := d.kubectlOutput(ctx, "kustomize", filepath.Join(d.root, "config", "samples"))
	if err != nil {
		return err
	}
	manifest, err = rewritePorts(manifest, map[string]int{
		samplePrimaryPort: d.primary.Port,
		sampleStandbyPort: d.standby.Port,
	})
	if err != nil {
		return err
	}
	fmt.Printf("(ports %s and %s of the samples replaced by %d and %d)\n",
		samplePrimaryPort, sampleStandbyPort, d.primary.Port, d.standby.Port)
	return d.kubectl(ctx, manifest, "apply", "-f", "-")
}

// rewritePorts replaces the sample ports in one pass, so a demo port that
// happens to equal a sample port is never rewritten twice. Every sample port
// must occur: if the samples change, the demo must be told.
func rewritePorts(manifest string, ports map[string]int) (string, error) {
	seen := map[string]bool{}
	out := samplePort.ReplaceAllStringFunc(manifest, func(line string) string {
		m := samplePort.FindStringSubmatch(line)
		port, ok := ports[m[2]]
		if !ok {
			return line
		}
		seen[m[2]] = true
		return m[1] + strconv.Itoa(port)
	})
	for sample := range ports {
		if !seen[sample] {
			return "", fmt.Errorf("config/samples has no host with port %s any more; update test/demo", sample)
		}
	}
	return out, nil
}

// waitReady waits the way a user or a CI pipeline would: kubectl wait on the
// Ready condition. On failure it shows why before giving up.
func (d *demo) waitReady(ctx context.Context) error {
	ctx, cancel := d.operator.guard(ctx)
	defer cancel()
	for _, kind := range []string{"pgserver", "rslot"} {
		err := d.kubectl(ctx, "", "wait", "--for=condition=Ready", kind, "--all", "--timeout=120s")
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
	_ = d.kubectl(ctx, "", "get", "pgserver,rslot", "-o", "wide")
	_ = d.kubectl(ctx, "", "describe", "pgserver,rslot")
	d.operator.printTail(60)
}

// show prints the objects with a reader's guide to the columns, then the
// same slots from PostgreSQL's side.
func (d *demo) show(ctx context.Context) error {
	if err := d.kubectl(ctx, "", "get", "pgserver,rslot"); err != nil {
		return err
	}
	fmt.Print(`
  PostgresServer: PRIMARY is the member the operator found not in recovery,
  TIMELINE and VERSION are read from it, SLOTS counts the slots managed through
  ReplicationSlot objects, READY is the Ready condition.
  ReplicationSlot: SLOT is the name in PostgreSQL (metadata.name with - as _),
  ACTIVE says whether a consumer streams from it right now (none in this demo),
  RETAINED is the WAL the slot holds back on the primary, READY and STATUS are
  the Ready condition and its message.
`)
	if err := d.kubectl(ctx, "", "get", "pgserver,rslot", "-o", "wide"); err != nil {
		return err
	}
	fmt.Print(`
  -o wide adds the Ready message of the PostgresServer (STATUS), and for each
  slot the member that holds it (HOST) and RESTART LSN, the oldest WAL position
  the slot still needs: WAL from there on cannot be recycled.
`)
	if err := d.showPostgresSlots(ctx); err != nil {
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
`, d.kubeconfig, d.kubectlBin, d.operator.logPath,
		demoRole, demoPassword, d.primary.Host, d.primary.Port, d.standby.Port)
}
