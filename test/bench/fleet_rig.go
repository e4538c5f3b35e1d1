package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	th "github.com/slotkeeper/slotkeeper/test/harness"
)

// fleetRig is the scale rig (kube-apiserver, the operator binary, the RSS
// sampler on r.pg = the first shared instance) plus the fleet's PostgreSQL
// instances and servers.
type fleetRig struct {
	*scaleRig
	fopts    fleetOptions
	shared   []*pgtest.Server // primaries the servers 1.. share
	pair     *pgtest.Server   // server 0's primary, crashed by the failover
	standby  *pgtest.Server   // server 0's standby, promoted by the failover
	servers  []fleetServer
	declared int // servers declared so far
	conns    *connSampler
	// baseWatches are kube-apiserver's WATCH requests before the operator
	// started, by resource.
	baseWatches map[string]float64
}

// fleetServer is one PostgresServer: its namespace, its own role (so that
// pg_stat_activity and pg_stat_statements tell the servers apart) and the
// instances its hosts name.
type fleetServer struct {
	ns, role string
	members  []*pgtest.Server
}

// fleetSettings: room for every slot of the servers sharing an instance
// plus the fifty timed ones, and pg_stat_statements to count statements.
var fleetSettings = map[string]string{"max_replication_slots": "300",
	"shared_preload_libraries": "pg_stat_statements"}

// startFleetRig starts everything up to an operator without servers; on
// error the caller closes what started.
func startFleetRig(ctx context.Context, opts fleetOptions) (*fleetRig, error) {
	r := &fleetRig{scaleRig: &scaleRig{observe: observeWatch, opts: scaleOptions{profileDir: opts.profileDir}}, fopts: opts}
	paths, err := th.DefaultPaths()
	if err != nil {
		return r, err
	}
	if r.dir, err = os.MkdirTemp("", "slotkeeper-bench-fleet-"); err != nil {
		return r, err
	}
	r.cleanups = append(r.cleanups, func() { _ = os.RemoveAll(r.dir) })
	t0 := time.Now()
	if err := r.startInstances(ctx); err != nil {
		return r, fmt.Errorf("PostgreSQL: %w", err)
	}
	r.planServers()
	if err := r.createRoles(ctx); err != nil {
		return r, err
	}
	fmt.Printf("fleet: %d PostgreSQL instances up in %s\n", len(r.shared)+2, ms(time.Since(t0)))
	if err := r.startKube(paths); err != nil {
		return r, fmt.Errorf("kube-apiserver: %w", err)
	}
	// kube-apiserver watches itself (its own informers over loopback);
	// what it serves before the operator starts is subtracted later.
	if r.baseWatches, err = apiWatches(ctx, r.cs); err != nil {
		return r, err
	}
	if err := r.startOperator(ctx, paths); err != nil {
		return r, fmt.Errorf("operator: %w", err)
	}
	if r.conns, err = startConnSampler(ctx, r.instances()); err != nil {
		return r, err
	}
	r.cleanups = append(r.cleanups, r.conns.stop)
	// A few seconds for the operator's caches to sync and its samples to
	// accumulate: the "no servers" figures.
	r.samp.setPhase("empty")
	time.Sleep(5 * time.Second)
	return r, nil
}

// instances are all PostgreSQL instances, the pair's last.
func (r *fleetRig) instances() []*pgtest.Server {
	return append(append([]*pgtest.Server(nil), r.shared...), r.pair, r.standby)
}

// startInstances starts the shared primaries in parallel (they are
// independent; starting them one by one would add a minute) and the pair.
func (r *fleetRig) startInstances(ctx context.Context) error {
	n := (r.fopts.servers - 1 + fleetPerInstance - 1) / fleetPerInstance
	r.shared = make([]*pgtest.Server, n)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { r.shared[i], errs[i] = startFleetPrimary(ctx, "fleet"+strconv.Itoa(i)) })
	}
	wg.Go(func() { errs[n] = r.startPair(ctx) })
	wg.Wait()
	for _, s := range r.instances() {
		if s != nil {
			r.cleanups = append(r.cleanups, s.Cleanup)
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	r.pg = r.shared[0]
	return nil
}

// startFleetPrimary starts one primary with the database of the logical
// slots and pg_stat_statements. Each runs its own initdb: copies of the
// cached template share one system identifier, and the operator would take
// the whole fleet for one PostgreSQL cluster shared by every server (each
// server's reconcile then reads every server's objects, which a fleet of
// separate clusters never does).
func startFleetPrimary(ctx context.Context, name string) (*pgtest.Server, error) {
	p, err := pgtest.StartPrimary(ctx, pgtest.Options{Major: scaleMajor, Name: name, Settings: fleetSettings, FreshInitdb: true})
	if err != nil {
		return p, err
	}
	if err := p.CreateDatabase(ctx, "orders"); err != nil {
		return p, err
	}
	// The slot an HA manager keeps for a replica: unmanaged, inactive,
	// retaining WAL, so every server's status lists it and its retention.
	if err := p.Exec(ctx, "SELECT pg_create_physical_replication_slot($1, true)", fleetReplicaSlot); err != nil {
		return p, err
	}
	return p, p.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
}

// fleetReplicaSlot is the unmanaged slot on every fleet primary.
const fleetReplicaSlot = "fleet_replica"

// startPair starts server 0's primary and, from a base backup of it, its
// streaming standby: the extension and database come along.
func (r *fleetRig) startPair(ctx context.Context) error {
	var err error
	if r.pair, err = startFleetPrimary(ctx, "fleetpair"); err != nil {
		return err
	}
	r.standby, err = r.pair.AddStandby(ctx, "fleetpair_standby", nil)
	return err
}

// planServers names server i's namespace and role and picks its instance:
// server 0 is the pair, the others go round the shared primaries.
func (r *fleetRig) planServers() {
	r.servers = make([]fleetServer, r.fopts.servers)
	for i := range r.servers {
		s := &r.servers[i]
		s.ns, s.role = fmt.Sprintf("%s%03d", fleetNamespaceBase, i), fmt.Sprintf("sk_%03d", i)
		if i == 0 {
			s.members = []*pgtest.Server{r.pair, r.standby}
		} else {
			s.members = []*pgtest.Server{r.shared[(i-1)%len(r.shared)]}
		}
	}
}

// createRoles creates each server's role on its primary (the standby gets
// the pair's by replication).
func (r *fleetRig) createRoles(ctx context.Context) error {
	for _, s := range r.servers {
		if err := s.members[0].CreateRole(ctx, s.role, password, true); err != nil {
			return fmt.Errorf("role %s: %w", s.role, err)
		}
	}
	return nil
}
