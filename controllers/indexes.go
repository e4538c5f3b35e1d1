// Package controllers holds the reconcilers of slotkeeper's kinds. They are
// thin: observations come from the monitor, status from internal/status and
// SQL from internal/postgres.
package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Field indexes on ReplicationSlot.
const (
	// indexServer finds the slots of a PostgresServer.
	indexServer = "spec.serverRef.name"
	// indexSlotName finds every object, in any namespace, naming a slot:
	// objects behind different PostgresServers of one cluster compete too.
	indexSlotName = "slotName"
	// indexSystemID finds the PostgresServers, in any namespace, that reach
	// one PostgreSQL cluster.
	indexSystemID = "status.systemIdentifier"
	// indexHostsFrom finds the PostgresServers that take members from a
	// Service's EndpointSlices.
	indexHostsFrom = "spec.hostsFrom.service"
)

// setupIndexes registers the field indexes the reconcilers use.
func setupIndexes(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &api.ReplicationSlot{}, indexServer, func(o client.Object) []string {
		return []string{o.(*api.ReplicationSlot).Spec.ServerRef.Name}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &api.ReplicationSlot{}, indexSlotName, func(o client.Object) []string {
		return []string{(o.(*api.ReplicationSlot)).SlotName()}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &api.PostgresServer{}, indexSystemID, func(o client.Object) []string {
		if id := o.(*api.PostgresServer).Status.SystemIdentifier; id != "" {
			return []string{id}
		}
		return nil
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &api.PostgresServer{}, indexHostsFrom, func(o client.Object) []string {
		if hf := o.(*api.PostgresServer).Spec.HostsFrom; hf != nil {
			return []string{hf.Service}
		}
		return nil
	})
}

// slotsOfCluster lists the ReplicationSlots of every PostgresServer, in any
// namespace, that reaches the cluster with system identifier sysid, besides
// those of the server itself: the cluster has one set of slot names, and a
// slot another team manages through its own PostgresServer is not
// unmanaged.
func slotsOfCluster(ctx context.Context, c client.Client, self *api.PostgresServer, sysid string) ([]api.ReplicationSlot, error) {
	slots, err := slotsOfServer(ctx, c, self.Namespace, self.Name)
	if err != nil || sysid == "" {
		return slots, err
	}
	var servers api.PostgresServerList
	if err := c.List(ctx, &servers, client.MatchingFields{indexSystemID: sysid}); err != nil {
		return nil, err
	}
	for i := range servers.Items {
		o := &servers.Items[i]
		if o.UID == self.UID {
			continue
		}
		more, err := slotsOfServer(ctx, c, o.Namespace, o.Name)
		if err != nil {
			return nil, err
		}
		slots = append(slots, more...)
	}
	return slots, nil
}

// slotsOfServer lists the ReplicationSlots that reference a server. The
// objects are the cache's own, not copies (a server with thousands of slots
// would otherwise copy them all on every server reconcile): callers only
// read them.
func slotsOfServer(ctx context.Context, c client.Client, ns, server string) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{indexServer: server}, client.UnsafeDisableDeepCopy)
	return list.Items, err
}
