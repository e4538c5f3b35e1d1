package cli

import (
	"context"
	"encoding/json"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Reader is everything the plugin asks of the API server. It is narrow on
// purpose: the tests fake it, and its one write is the acknowledgement.
// An empty namespace means all namespaces.
type Reader interface {
	Servers(ctx context.Context, ns string) ([]api.PostgresServer, error)
	Server(ctx context.Context, ns, name string) (*api.PostgresServer, error)
	Slots(ctx context.Context, ns string) ([]api.ReplicationSlot, error)
	Slot(ctx context.Context, ns, name string) (*api.ReplicationSlot, error)
	// Events are those about one object, oldest first.
	Events(ctx context.Context, ns, kind, name string) ([]corev1.Event, error)
	// Annotate sets one annotation and nothing else.
	Annotate(ctx context.Context, ns, name, key, value string) error
}

// kubeReader is Reader over a controller-runtime client.
type kubeReader struct{ c client.Client }

// NewReader connects to the API server described by cfg.
func NewReader(cfg *rest.Config) (Reader, error) {
	scheme := runtime.NewScheme()
	if err := api.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	return kubeReader{c: c}, nil
}

func (k kubeReader) Servers(ctx context.Context, ns string) ([]api.PostgresServer, error) {
	var l api.PostgresServerList
	err := k.c.List(ctx, &l, client.InNamespace(ns))
	return l.Items, err
}

func (k kubeReader) Server(ctx context.Context, ns, name string) (*api.PostgresServer, error) {
	var ps api.PostgresServer
	err := k.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ps)
	return &ps, err
}

func (k kubeReader) Slots(ctx context.Context, ns string) ([]api.ReplicationSlot, error) {
	var l api.ReplicationSlotList
	err := k.c.List(ctx, &l, client.InNamespace(ns))
	return l.Items, err
}

func (k kubeReader) Slot(ctx context.Context, ns, name string) (*api.ReplicationSlot, error) {
	var rs api.ReplicationSlot
	err := k.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &rs)
	return &rs, err
}

// Events filters on the server: a namespace may hold thousands of events
// about other objects.
func (k kubeReader) Events(ctx context.Context, ns, kind, name string) ([]corev1.Event, error) {
	var l corev1.EventList
	err := k.c.List(ctx, &l, client.InNamespace(ns),
		client.MatchingFields{"involvedObject.kind": kind, "involvedObject.name": name})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(l.Items, func(i, j int) bool {
		return eventTime(&l.Items[i]).Before(eventTime(&l.Items[j]))
	})
	return l.Items, nil
}

// Annotate sends a merge patch of that one annotation, so it can neither
// undo a concurrent change to anything else nor fail on one.
func (k kubeReader) Annotate(ctx context.Context, ns, name, key, value string) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{key: value}},
	})
	if err != nil {
		return err
	}
	rs := &api.ReplicationSlot{}
	rs.Namespace, rs.Name = ns, name
	return k.c.Patch(ctx, rs, client.RawPatch(types.MergePatchType, patch))
}
