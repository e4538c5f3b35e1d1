package controllers

import (
	"slices"

	"k8s.io/utils/ptr"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// unmanagedBudget is spec.maxUnmanagedRetainedWAL or the default.
func unmanagedBudget(ps *api.PostgresServer) int64 {
	if n, ok := ps.Spec.MaxUnmanagedRetainedWAL.Bytes(); ok {
		return n
	}
	return status.DefaultUnmanagedBudget
}

// publishServerMetrics exports the server's figures from its latest
// snapshot and status.
func publishServerMetrics(ps *api.PostgresServer, snap *observation.Snapshot) {
	m := metrics.Server{Namespace: ps.Namespace, Name: ps.Name, Timeline: ps.Status.Timeline,
		Failovers: ps.Status.Failovers, UnmanagedBudgetBytes: ptr.To(unmanagedBudget(ps))}
	if snap != nil {
		m.Up = snap.PrimaryMember() != nil
		for i := range snap.Members {
			mem := &snap.Members[i]
			// Claims holds only members of the server's own cluster: one
			// refused for a foreign system identifier is never a primary.
			m.Members = append(m.Members, metrics.Member{Addr: mem.Addr(), Up: mem.Reachable(),
				Primary: slices.Contains(snap.Claims, mem.Addr())})
		}
	}
	if c := ps.Status.Slots; c != nil && m.Up {
		m.ActiveUnmanaged = ptr.To(int64(c.Unmanaged - c.InactiveUnmanaged))
		m.InactiveUnmanaged = ptr.To(int64(c.InactiveUnmanaged))
		m.ActiveUnmanagedBytes = ptr.To(c.UnmanagedRetainedWALBytes - c.InactiveUnmanagedRetainedWALBytes)
		m.InactiveUnmanagedBytes = ptr.To(c.InactiveUnmanagedRetainedWALBytes)
	}
	metrics.SetServer(m)
}
