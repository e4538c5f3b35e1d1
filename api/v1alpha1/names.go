package v1alpha1

import "strings"

// DefaultPlugin is the output plugin of a Logical slot without spec.plugin.
const DefaultPlugin = "pgoutput"

// SlotName is the slot's name in PostgreSQL: spec.slotName, or the object's
// name with '-' replaced by '_' (the CRD refuses names that do not fit).
func (rs *ReplicationSlot) SlotName() string {
	if rs.Spec.SlotName != "" {
		return rs.Spec.SlotName
	}
	return strings.ReplaceAll(rs.Name, "-", "_")
}

// PluginName is the effective output plugin of a Logical slot.
func (rs *ReplicationSlot) PluginName() string {
	if rs.Spec.Plugin != "" {
		return rs.Spec.Plugin
	}
	return DefaultPlugin
}

// IgnoreSlotsMode is spec.patroni.ignoreSlots, Report when unset.
func (p *PatroniSpec) IgnoreSlotsMode() IgnoreSlotsMode {
	if p.IgnoreSlots == "" {
		return IgnoreSlotsReport
	}
	return p.IgnoreSlots
}
