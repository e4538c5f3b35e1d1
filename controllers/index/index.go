// Package index holds the field indexes of the reconcilers' cache and the
// lists read through them.
package index

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Field indexes on ReplicationSlot.
const (
	// Server finds the slots of a PostgresServer.
	Server = "spec.serverRef.name"
	// SlotName finds every object, in any namespace, naming a slot:
	// objects behind different PostgresServers of one cluster compete too.
	SlotName = "slotName"
	// SystemID finds the PostgresServers, in any namespace, that reach
	// one PostgreSQL cluster.
	SystemID = "status.systemIdentifier"
	// HostsFrom finds the PostgresServers that take members from a
	// Service's EndpointSlices.
	HostsFrom = "spec.hostsFrom.service"
)

// Setup registers the field indexes the reconcilers use.
func Setup(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &api.ReplicationSlot{}, Server, func(o client.Object) []string {
		return []string{o.(*api.ReplicationSlot).Spec.ServerRef.Name}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &api.ReplicationSlot{}, SlotName, func(o client.Object) []string {
		return []string{(o.(*api.ReplicationSlot)).SlotName()}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &api.PostgresServer{}, SystemID, func(o client.Object) []string {
		if id := o.(*api.PostgresServer).Status.SystemIdentifier; id != "" {
			return []string{id}
		}
		return nil
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &api.PostgresServer{}, HostsFrom, func(o client.Object) []string {
		if hf := o.(*api.PostgresServer).Spec.HostsFrom; hf != nil {
			return []string{hf.Service}
		}
		return nil
	})
}

// SlotsOfCluster returns own, the server's own ReplicationSlots (from
// SlotsOfServer), and those of every other PostgresServer, in any
// namespace, that reaches the cluster with system identifier sysid: the
// cluster has one set of slot names, and a slot another team manages
// through its own PostgresServer is not unmanaged. They come back as one
// list per server, own first, each the cache's own: own is not listed
// again, and nothing is copied into one slice, since a cluster shared by
// many servers holds thousands of objects and each server reconciles every
// 30 s (appending them was 7% of an idle operator's CPU at 100 servers).
func SlotsOfCluster(ctx context.Context, c client.Client, self *api.PostgresServer, sysid string, own []api.ReplicationSlot) ([][]api.ReplicationSlot, error) {
	groups := [][]api.ReplicationSlot{own}
	if sysid == "" {
		return groups, nil
	}
	var servers api.PostgresServerList
	if err := c.List(ctx, &servers, client.MatchingFields{SystemID: sysid}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	for i := range servers.Items {
		o := &servers.Items[i]
		if o.UID == self.UID {
			continue
		}
		more, err := SlotsOfServer(ctx, c, o.Namespace, o.Name)
		if err != nil {
			return nil, err
		}
		groups = append(groups, more)
	}
	return groups, nil
}

// SlotsOfServer lists the ReplicationSlots that reference a server. The
// objects are the cache's own, not copies (a server with thousands of slots
// would otherwise copy them all on every server reconcile): callers only
// read them.
func SlotsOfServer(ctx context.Context, c client.Client, ns, server string) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{Server: server}, client.UnsafeDisableDeepCopy)
	return list.Items, err
}
