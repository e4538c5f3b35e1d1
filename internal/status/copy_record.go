package status

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// FindCopy returns the record of the copy on member m, or nil. A record
// that names a Pod is not the record of another Pod given its address.
func FindCopy(copies []api.SlotCopy, m *observation.Member) *api.SlotCopy {
	for i := range copies {
		c := &copies[i]
		if c.Host == m.Host && c.Port == m.Port && (c.Pod == "" || m.Pod == "" || c.Pod == m.Pod) {
			return c
		}
	}
	return nil
}
