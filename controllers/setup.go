// Package controllers wires slotkeeper's reconcilers into a manager and
// holds the PostgresServer reconciler; the ReplicationSlot reconciler is in
// controllers/slot. Both are thin: observations come from the monitor,
// status from internal/status and SQL from internal/postgres.
package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
	"github.com/slotkeeper/slotkeeper/controllers/slot"
	"github.com/slotkeeper/slotkeeper/controllers/wake"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/ownwrites"
	"github.com/slotkeeper/slotkeeper/internal/patroni"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
)

// Options tune the controllers.
type Options struct {
	SlotWorkers   int
	ActionTimeout time.Duration
	// HostPolicy says where connections may go; nil means
	// postgres.DefaultHostPolicy (everything but cloud metadata addresses).
	HostPolicy *postgres.HostPolicy
}

// Setup registers the field indexes, the background creator and both
// reconcilers with a manager.
func Setup(mgr ctrl.Manager, mon *monitor.Manager, conns *connections.Registry, o Options) error {
	if err := index.Setup(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	cr := creator.New()
	if err := mgr.Add(cr); err != nil {
		return err
	}
	pat := patroni.NewRegistry()
	if o.HostPolicy == nil {
		o.HostPolicy = postgres.DefaultHostPolicy()
	}
	if err := (&PostgresServerReconciler{
		Client: mgr.GetClient(), SecretReader: mgr.GetAPIReader(), Monitor: mon, Conns: conns,
		Recorder: record.Clipped{EventRecorder: mgr.GetEventRecorder("slotkeeper")}, Patroni: pat, HostPolicy: o.HostPolicy,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if o.SlotWorkers <= 0 {
		o.SlotWorkers = 8
	}
	return (&slot.Reconciler{
		Client: mgr.GetClient(), Monitor: mon, Conns: conns, Creator: cr, Recorder: record.Clipped{EventRecorder: mgr.GetEventRecorder("slotkeeper")},
		ActionTimeout: o.ActionTimeout, Patroni: pat,
	}).SetupWithManager(mgr, o.SlotWorkers)
}

// SetupWithManager wires the server reconciler: PostgresServers, their
// Secrets, their ReplicationSlots (for the managed-slot inventory), the
// EndpointSlices of spec.hostsFrom and the monitor's wake-ups.
func (r *PostgresServerReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.written = ownwrites.New[api.PostgresServerStatus]()
	return ctrl.NewControllerManagedBy(mgr).
		For(&api.PostgresServer{}).
		Named("postgresserver").
		// Metadata only: Secret contents are read on demand and never cached.
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.serversOfSecret)).
		Watches(&api.ReplicationSlot{}, handler.EnqueueRequestsFromMapFunc(serverOfSlot),
			builder.WithPredicates(wake.UpdatesOnly(wake.SlotUpdateWakesServer))).
		// spec.hostsFrom: members follow the Service's EndpointSlices.
		Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(r.serversOfSlice),
			builder.WithPredicates(sliceMembersChanged)).
		WatchesRawSource(source.Channel(r.Monitor.ServerEvents(), &handler.EnqueueRequestForObject{})).
		Complete(r)
}

func serverOfSlot(_ context.Context, o client.Object) []reconcile.Request {
	rs := o.(*api.ReplicationSlot)
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: rs.Namespace, Name: rs.Spec.ServerRef.Name}}}
}

// serversOfSecret maps a Secret to the servers whose credentials or CA it
// holds, so a rotated password is picked up at once.
func (r *PostgresServerReconciler) serversOfSecret(ctx context.Context, o client.Object) []reconcile.Request {
	var list api.PostgresServerList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		ps := &list.Items[i]
		uses := ps.Spec.CredentialsSecretRef.Name == o.GetName() ||
			(ps.Spec.TLS != nil && ps.Spec.TLS.CASecretRef != nil && ps.Spec.TLS.CASecretRef.Name == o.GetName()) ||
			patroniUses(ps.Spec.Patroni, o.GetName())
		if uses {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(ps)})
		}
	}
	return out
}

// patroniUses: the Secret holds spec.patroni's credentials or CA.
func patroniUses(p *api.PatroniSpec, secret string) bool {
	return p != nil && ((p.CredentialsSecretRef != nil && p.CredentialsSecretRef.Name == secret) ||
		(p.CASecretRef != nil && p.CASecretRef.Name == secret))
}
