package main

import (
	"context"
	"slices"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// crdPoll is how often the operator looks for its CRDs while they are missing.
const crdPoll = 2 * time.Second

// waitForCRDs returns once the API server serves both kinds. Installed in
// the wrong order (operator first, as GitOps tools may do), the operator
// would otherwise exit at start ("no matches for kind") and crash-loop; it
// says what it waits for instead.
func waitForCRDs(ctx context.Context, cfg *rest.Config) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	logged := false
	for !servesKinds(dc) {
		if !logged {
			ctrl.Log.WithName("setup").Info("waiting for the CRDs postgresservers and replicationslots of " +
				api.GroupVersion.String() + " to be installed (config/crd, or the chart's crds/)")
			logged = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(crdPoll):
		}
	}
	return nil
}

// servesKinds reports whether discovery lists both resources.
func servesKinds(dc discovery.DiscoveryInterface) bool {
	list, err := dc.ServerResourcesForGroupVersion(api.GroupVersion.String())
	if err != nil {
		return false
	}
	var names []string
	for _, r := range list.APIResources {
		names = append(names, r.Name)
	}
	return slices.Contains(names, "postgresservers") && slices.Contains(names, "replicationslots")
}
