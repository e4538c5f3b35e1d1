package v1alpha1

import (
	"strings"
	"time"
)

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

// DefaultPollInterval is the monitor period when spec.pollInterval is unset.
const DefaultPollInterval = 5 * time.Second

// PollEvery is the monitor period: spec.pollInterval, or the default when
// it is unset or unusable (an unusable value also makes the server Stalled
// with InvalidSpec).
func (s *PostgresServerSpec) PollEvery() time.Duration {
	if s.PollInterval != nil && s.PollInterval.Err() == nil && s.PollInterval.Duration > 0 {
		return s.PollInterval.Duration
	}
	return DefaultPollInterval
}
