package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// fleetLimit bounds the wait for every server Ready: generous, so that a
// slow start shows in the figures rather than ending the run.
const fleetLimit = 5 * time.Minute

// declareServers creates the namespace, Secret (with the server's own
// role) and PostgresServer of each server in idx, then waits until every
// server declared so far is Ready.
func (r *fleetRig) declareServers(ctx context.Context, setup *fleetSetup, idx []int) error {
	fmt.Printf("fleet: declaring %d servers\n", len(idx))
	r.setPhase("servers")
	t0 := time.Now()
	for _, i := range idx {
		s := r.servers[i]
		ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "db"},
			Spec: api.PostgresServerSpec{CredentialsSecretRef: api.LocalObjectReference{Name: "pg"},
				TLS: &api.TLSSpec{Mode: api.TLSDisable}}}
		for _, m := range s.members {
			ps.Spec.Hosts = append(ps.Spec.Hosts, api.HostPort{Host: m.Host, Port: int32(m.Port)})
		}
		for _, o := range []client.Object{
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: "pg"},
				StringData: map[string]string{"username": s.role, "password": password}},
			ps,
		} {
			if err := r.c.Create(ctx, o); err != nil {
				return err
			}
		}
		r.poll = ps.Spec.PollInterval.Duration // the CRD's default, the same for all
	}
	r.declared += len(idx)
	err := waitForEvery(100*time.Millisecond, fleetLimit, func() bool { return r.countServersReady(ctx) == r.declared })
	setup.ServersReady = time.Since(t0)
	fmt.Printf("fleet: %d servers Ready after %s\n", r.declared, ms(setup.ServersReady))
	return err
}

// rest are the servers the control did not declare: all but server 1.
func (r *fleetRig) rest() []int {
	idx := []int{0}
	for i := 2; i < len(r.servers); i++ {
		idx = append(idx, i)
	}
	return idx
}

func (r *fleetRig) countServersReady(ctx context.Context) (n int) {
	var list api.PostgresServerList
	if err := r.c.List(ctx, &list); err != nil {
		return 0
	}
	for i := range list.Items {
		if isReady(list.Items[i].Status.Conditions) {
			n++
		}
	}
	return n
}

// fleetSlot is slot j of server i, labelled with batch: even ones
// logical, odd ones physical. The name carries the server's index because
// servers that share an instance share its slot namespace (the slot name
// defaults to the object's name), which also makes it unique in the fleet
// as readyWatch needs.
func fleetSlot(ns, batch string, i, j int) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("f%03d-s%02d", i, j),
		Labels: map[string]string{batchLabel: batch}},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"}, Type: api.SlotPhysical}}
	if j%2 == 0 {
		rs.Spec.Type, rs.Spec.Database = api.SlotLogical, "orders"
	}
	return rs
}

// declareSlots creates every server's slots at once with applyWorkers
// goroutines, like a GitOps tool syncing the fleet's manifests, and waits
// until a watch on them (the scale scenario's, started before the first
// create) has seen every one Ready.
func (r *fleetRig) declareSlots(ctx context.Context, setup *fleetSetup) error {
	setup.Slots = len(r.servers) * fleetSlotsPerServer
	fmt.Printf("fleet: applying %d slots\n", setup.Slots)
	r.setPhase("slots")
	before, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return err
	}
	rw := &readyWatch{n: setup.Slots, ready: map[string]bool{}, done: make(chan struct{})}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go rw.follow(wctx, r.c, []client.ListOption{client.MatchingLabels{batchLabel: fleetName}})
	ctl0, cpu0, m0 := scrapeControllers(ctx, r.metrics), procCPU(r.op.Pid()), sampleCPU()
	t0 := time.Now()
	if err := r.createFleetSlots(ctx, setup.Slots); err != nil {
		return err
	}
	b := batchResult{N: setup.Slots}
	rw.wait(ctx, t0, &b)
	setup.SlotsReady = b.AllReady
	setup.Controllers = subControllers(scrapeControllers(ctx, r.metrics), ctl0)
	setup.CPU, setup.Busy = procCPU(r.op.Pid())-cpu0, busyShare(sampleCPU().sub(m0), time.Since(t0))
	after, err := scrapeWrites(ctx, r.cs)
	setup.Writes = diffWrites(before, after)
	st := r.conns.stats("slots")
	setup.MaxConns, setup.LockWaits = st.maxTotal, st.maxLockWaits
	fmt.Printf("fleet: %d of %d slots Ready, all after %s; %s; lock waits at most %d; machine busy %.0f%%\n", b.Ready, setup.Slots, ms(setup.SlotsReady),
		reconcileLine(setup.Controllers), setup.LockWaits, 100*setup.Busy)
	if b.AllReady == 0 {
		return fmt.Errorf("only %d of %d slots Ready after %s", b.Ready, b.N, readyLimit)
	}
	return err
}

// createFleetSlots hands slot k (server k / fleetSlotsPerServer) to the
// workers; the first error stops them.
func (r *fleetRig) createFleetSlots(ctx context.Context, n int) error {
	err := createEach(ctx, r.c, n, func(k int) client.Object {
		i, j := k/fleetSlotsPerServer, k%fleetSlotsPerServer
		return fleetSlot(r.servers[i].ns, fleetName, i, j)
	})
	if err != nil {
		return fmt.Errorf("create slot: %w", err)
	}
	return nil
}

// countSlotsReady counts the Ready ReplicationSlots of the namespace (""
// = all), read straight from kube-apiserver.
func (r *fleetRig) countSlotsReady(ctx context.Context, ns string) (n int) {
	var list api.ReplicationSlotList
	if err := r.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0
	}
	for i := range list.Items {
		if isReady(list.Items[i].Status.Conditions) {
			n++
		}
	}
	return n
}
