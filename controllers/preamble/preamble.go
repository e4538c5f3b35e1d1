// Package preamble is the start both reconcilers share: read the object,
// forget it when it is gone, trust the operator's own last status write
// over a cache that has not caught up, and hold the finalizer.
package preamble

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/slotkeeper/slotkeeper/internal/ownwrites"
)

// Load reads key into obj, whose status is *status. When the object is
// gone it runs gone (the reconciler forgets what it kept for it) and
// reports found false with no error. When this process wrote a newer
// status than the cache holds, a copy of that status replaces the cached
// one (a copy: the reconcile changes it in place).
func Load[S any, P interface {
	*S
	DeepCopy() *S
}](ctx context.Context, c client.Reader, key types.NamespacedName, obj client.Object,
	status P, written *ownwrites.Cache[S], gone func()) (found bool, err error) {
	if err := c.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			gone()
			return false, nil
		}
		return false, err
	}
	if st, ok := written.Newer(key, obj.GetResourceVersion()); ok {
		*status = *P(&st).DeepCopy()
	}
	return true, nil
}

// HoldFinalizer adds the finalizer name with an update when obj lacks it.
// With the finalizer policy (config/admission) a new object has it from
// its create, and this writes nothing.
func HoldFinalizer(ctx context.Context, c client.Writer, obj client.Object, name string) error {
	if !controllerutil.AddFinalizer(obj, name) {
		return nil
	}
	return c.Update(ctx, obj)
}
