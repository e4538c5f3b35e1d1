package main

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// parseNamespaces reads --watch-namespaces: comma-separated namespace
// names, spaces and empty items ignored, duplicates dropped. Nil means
// every namespace. A name no namespace can have (upper case, a space, a
// slash) fails the start, rather than becoming a watch that never sees
// anything.
func parseNamespaces(flag string) ([]string, error) {
	var out []string
	for _, ns := range strings.Split(flag, ",") {
		ns = strings.TrimSpace(ns)
		if ns == "" || slices.Contains(out, ns) {
			continue
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("--watch-namespaces: %q is not a namespace name: %s", ns, strings.Join(errs, "; "))
		}
		out = append(out, ns)
	}
	return out, nil
}

// watchedNamespaces turns --watch-namespaces into the manager cache's
// DefaultNamespaces; nil means every namespace. Set, it restricts every
// informer (typed, metadata-only Secrets, EndpointSlices) to those
// namespaces, so the operator never lists or watches cluster-wide: with
// only namespace Roles such a request is Forbidden and the cache would
// never sync.
func watchedNamespaces(flag string) (map[string]cache.Config, error) {
	namespaces, err := parseNamespaces(flag)
	if err != nil || len(namespaces) == 0 {
		return nil, err
	}
	out := make(map[string]cache.Config, len(namespaces))
	for _, ns := range namespaces {
		out[ns] = cache.Config{}
	}
	ctrl.Log.WithName("setup").Info("watching only some namespaces", "namespaces", namespaces)
	return out, nil
}
