package controllers

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/index"
)

// serversOfSlice maps an EndpointSlice to the servers in its namespace that
// take members from its Service.
func (r *PostgresServerReconciler) serversOfSlice(ctx context.Context, o client.Object) []reconcile.Request {
	svc := o.GetLabels()[discoveryv1.LabelServiceName]
	if svc == "" {
		return nil
	}
	var list api.PostgresServerList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index.HostsFrom: svc}); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}

// sliceMembersChanged passes the updates of a slice that can change the
// members: readiness flips at every failover and probe hiccup, and would
// otherwise reconcile (and read the Secrets of) every server behind it.
var sliceMembersChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*discoveryv1.EndpointSlice)
		n, ok2 := e.ObjectNew.(*discoveryv1.EndpointSlice)
		return !ok1 || !ok2 || !equality.Semantic.DeepEqual(sliceShape(o), sliceShape(n))
	},
}

type endpointShape struct {
	Address, Hostname, Target string
	Terminating               bool
}

// sliceShape is what of a slice the members depend on.
func sliceShape(s *discoveryv1.EndpointSlice) any {
	eps := make([]endpointShape, 0, len(s.Endpoints))
	for _, ep := range s.Endpoints {
		var sh endpointShape
		if len(ep.Addresses) > 0 {
			sh.Address = ep.Addresses[0]
		}
		if ep.Hostname != nil {
			sh.Hostname = *ep.Hostname
		}
		if ep.TargetRef != nil {
			sh.Target = ep.TargetRef.Kind + "/" + ep.TargetRef.Namespace + "/" + ep.TargetRef.Name
		}
		sh.Terminating = ep.Conditions.Terminating != nil && *ep.Conditions.Terminating
		eps = append(eps, sh)
	}
	return struct {
		Service   string
		Ports     []discoveryv1.EndpointPort
		Endpoints []endpointShape
	}{s.Labels[discoveryv1.LabelServiceName], s.Ports, eps}
}
