package status

import (
	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// FindCopy returns the record of the copy on member m, or nil. A record
// that names a Pod is not the record of another Pod given its address.
func FindCopy(copies []api.SlotCopy, m *observation.Member) *api.SlotCopy {
	for i := range copies {
		if RecordOf(copies[i], m) {
			return &copies[i]
		}
	}
	return nil
}

// RecordOf: c is the record of a slot on member m, by address and Pod.
func RecordOf(c api.SlotCopy, m *observation.Member) bool {
	return c.Host == m.Host && c.Port == m.Port && PodsAgree(c.Pod, m.Pod)
}

// PodsAgree: a record naming recPod may be the record of a member behind
// memberPod. Only two named Pods that differ disagree; a name missing on
// either side (a host of spec.hosts, a record from before Pods were
// named) says nothing.
func PodsAgree(recPod, memberPod string) bool {
	return recPod == "" || memberPod == "" || recPod == memberPod
}
