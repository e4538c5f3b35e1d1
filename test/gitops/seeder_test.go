package gitops_test

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// seeder writes objects the way the operator does: spec through the main
// resource, status through the status subresource, conditions computed by
// internal/status, and observedGeneration set on every status write.
type seeder struct {
	ctx context.Context
	c   client.Client
}

// slot creates a logical ReplicationSlot carrying the operator's finalizer
// (it adds it on the first reconcile).
func (s *seeder) slot(name string) (*api.ReplicationSlot, error) {
	rs := &api.ReplicationSlot{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Finalizers: []string{api.FinalizerName}},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: "db"},
			Type: api.SlotLogical, Database: "orders", Plugin: "wal2json"},
	}
	return rs, s.c.Create(s.ctx, rs)
}

// server creates a PostgresServer carrying the operator's finalizer.
func (s *seeder) server(name string) (*api.PostgresServer, error) {
	ps := &api.PostgresServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Finalizers: []string{api.ServerFinalizerName}},
		Spec: api.PostgresServerSpec{Hosts: []api.HostPort{{Host: "pg-0.db", Port: 5432}},
			CredentialsSecretRef: api.LocalObjectReference{Name: "db-credentials"}},
	}
	return ps, s.c.Create(s.ctx, ps)
}

// slotStatus is controllers' setSlotStatus: conditions for the current
// generation, then observedGeneration.
func (s *seeder) slotStatus(rs *api.ReplicationSlot, in status.SlotInputs) error {
	if err := s.c.Get(s.ctx, client.ObjectKeyFromObject(rs), rs); err != nil {
		return err
	}
	in.Generation = rs.Generation
	rs.Status.SlotName = rs.Name
	rs.Status.Conditions = status.SlotConditions(rs.Status.Conditions, in)
	rs.Status.ObservedGeneration = rs.Generation
	return s.c.Status().Update(s.ctx, rs)
}

// serverStatus is controllers' setConditions (plus applyServerView for the
// members) for a PostgresServer.
func (s *seeder) serverStatus(ps *api.PostgresServer, in status.ServerInputs, view *status.ServerView) error {
	if err := s.c.Get(s.ctx, client.ObjectKeyFromObject(ps), ps); err != nil {
		return err
	}
	if view != nil {
		ps.Status.Members, ps.Status.Primary, ps.Status.ServerVersion = view.Members, view.Primary, view.ServerVersion
	}
	in.Generation = ps.Generation
	ps.Status.Conditions = status.ServerConditions(ps.Status.Conditions, in)
	ps.Status.ObservedGeneration = ps.Generation
	return s.c.Status().Update(s.ctx, ps)
}

// update changes the spec, so metadata.generation moves past what status
// observed.
func (s *seeder) update(obj client.Object, change func()) error {
	if err := s.c.Get(s.ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return err
	}
	change()
	return s.c.Update(s.ctx, obj)
}

// delete asks for deletion; the finalizer keeps the object, now with
// metadata.deletionTimestamp set.
func (s *seeder) delete(obj client.Object) error {
	return s.c.Delete(s.ctx, obj)
}
