package controllers

import (
	"slices"

	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// podsOf maps each member kept to the Pod a slice named behind it. An
// address two slices name for two Pods (a stale slice beside a fresh one,
// for a moment) gets none until they agree: a Pod picked by the order of
// the slices could flip between reconciles, and a record would follow
// whichever one won (controllers/slot/copies_pods.go).
func podsOf(found []discovered, kept []observation.Endpoint) map[observation.Endpoint]string {
	pods := map[observation.Endpoint]string{}
	clash := map[observation.Endpoint]bool{}
	for _, d := range found {
		if d.pod == "" || !slices.Contains(kept, d.Endpoint) {
			continue
		}
		if p, ok := pods[d.Endpoint]; ok && p != d.pod {
			clash[d.Endpoint] = true
		}
		pods[d.Endpoint] = d.pod
	}
	for ep := range clash {
		delete(pods, ep)
	}
	if len(pods) == 0 {
		return nil
	}
	return pods
}
