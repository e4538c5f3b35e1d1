package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// CacheTransform trims what the operator's informers keep. managedFields
// are never read and dominate memory with thousands of slots. Objects
// watched by metadata only (Secrets) lose their annotations too: `kubectl
// apply` writes a Secret's whole data into last-applied-configuration, and
// the operator keeps Secret contents out of memory. Typed objects keep
// theirs (a ReplicationSlot's acknowledgement is an annotation).
func CacheTransform() toolscache.TransformFunc {
	stripManaged := cache.TransformStripManagedFields()
	return func(in any) (any, error) {
		out, err := stripManaged(in)
		if m, ok := out.(*metav1.PartialObjectMetadata); ok {
			m.Annotations = nil
		}
		return out, err
	}
}
