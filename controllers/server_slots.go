package controllers

import api "github.com/slotkeeper/slotkeeper/api/v1alpha1"

// What the server reconcile reads from the ReplicationSlots that name the
// server: which capabilities they need and which slot names they manage.

func needsLogical(slots []api.ReplicationSlot) bool {
	for i := range slots {
		if slots[i].Spec.Type == api.SlotLogical {
			return true
		}
	}
	return false
}

func needsFailoverSlots(slots []api.ReplicationSlot) bool {
	for i := range slots {
		if slots[i].Spec.Type == api.SlotLogical && slots[i].Spec.Failover {
			return true
		}
	}
	return false
}

func managedNames(groups ...[]api.ReplicationSlot) map[string]bool {
	out := map[string]bool{}
	for _, slots := range groups {
		for i := range slots {
			if slots[i].Status.Owned {
				out[(&slots[i]).SlotName()] = true
			}
		}
	}
	return out
}
