package main

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// defaultLeaseName is the leader election Lease every installation used
// before --leader-election-id existed. It stays the default: an upgrade
// that renamed the Lease would let the old pod and the new one, each
// holding its own Lease, act at once during the rollout.
const defaultLeaseName = "slotkeeper.pg.slotkeeper.dev"

// leaseName checks --leader-election-id. Operators that share a namespace
// (shards, each with its own --watch-namespaces) need Leases of their own
// names, or all but one would wait for the Lease forever. A name no Lease
// can have fails the start instead of a create that kube-apiserver refuses
// at every retry.
func leaseName(flag string) (string, error) {
	if errs := validation.IsDNS1123Subdomain(flag); len(errs) > 0 {
		return "", fmt.Errorf("--leader-election-id: %q is not a Lease name: %s", flag, strings.Join(errs, "; "))
	}
	return flag, nil
}
