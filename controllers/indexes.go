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
)

// SetupIndexes registers the field indexes the reconcilers use.
func SetupIndexes(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &api.ReplicationSlot{}, indexServer, func(o client.Object) []string {
		return []string{o.(*api.ReplicationSlot).Spec.ServerRef.Name}
	}); err != nil {
		return err
	}
	return idx.IndexField(ctx, &api.ReplicationSlot{}, indexSlotName, func(o client.Object) []string {
		return []string{SlotName(o.(*api.ReplicationSlot))}
	})
}

// slotsOfServer lists the ReplicationSlots that reference a server.
func slotsOfServer(ctx context.Context, c client.Client, ns, server string) ([]api.ReplicationSlot, error) {
	var list api.ReplicationSlotList
	err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{indexServer: server})
	return list.Items, err
}
