package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	slotReady      = gauge("slotkeeper_slot_ready", "1 when the ReplicationSlot's Ready condition is True.", slotLabels...)
	slotActive     = gauge("slotkeeper_slot_active", "1 when a consumer holds the slot.", slotLabels...)
	slotRetained   = gauge("slotkeeper_slot_retained_wal_bytes", "WAL the slot keeps on the server (current WAL position minus restart_lsn).", slotLabels...)
	slotBudget     = gauge("slotkeeper_slot_wal_budget_bytes", "spec.maxRetainedWAL of the slot, when set.", slotLabels...)
	slotLag        = gauge("slotkeeper_slot_lag_bytes", "How far the consumer is behind: current WAL position minus confirmed_flush_lsn (logical) or restart_lsn (physical).", slotLabels...)
	slotSafeWAL    = gauge("slotkeeper_slot_safe_wal_size_bytes", "WAL that can still be written before the slot is at risk of invalidation (pg_replication_slots.safe_wal_size); absent when max_slot_wal_keep_size is -1.", slotLabels...)
	slotWALStatus  = gauge("slotkeeper_slot_wal_status", "1 for the slot's current wal_status (reserved, extended, unreserved, lost), 0 for the others.", append(slotLabels, "status")...)
	slotInvalid    = gauge("slotkeeper_slot_invalidated", "1 while PostgreSQL reports the slot invalidated, with the reason.", append(slotLabels, "reason")...)
	slotInactiveAt = gauge("slotkeeper_slot_inactive_since_timestamp_seconds", "When the slot last lost its consumer, as Unix time (PostgreSQL 17+ inactive_since); absent while active.", slotLabels...)
	slotFailover   = gauge("slotkeeper_slot_failover_ready", "1 when FailoverReady is True; absent for slots without spec.failover.", slotLabels...)
	slotBlocked    = gauge("slotkeeper_slot_creation_blocked_seconds", "How long the slot's creation has been blocked (CreationBlocked=True); 0 when not blocked.", slotLabels...)
	slotDataGap    = gauge("slotkeeper_slot_data_gap", "1 while the slot has an unacknowledged data gap.", slotLabels...)
	slotRecreated  = newStatusCounter("slotkeeper_slot_recreations_total", "How often slotkeeper had to recreate the slot (status.recreations).", slotLabels...)
	slotGapBytes   = newStatusCounter("slotkeeper_slot_data_gap_bytes_total", "WAL bytes never decoded for the slot's consumer over all data gaps (status.dataGapBytesTotal).", slotLabels...)
)

// WALStatuses are the values pg_replication_slots.wal_status takes.
var WALStatuses = []string{"reserved", "extended", "unreserved", "lost"}

// plainSlotGauges carry exactly the slot labels.
var plainSlotGauges = []*prometheus.GaugeVec{slotReady, slotActive, slotRetained, slotBudget, slotLag,
	slotSafeWAL, slotInactiveAt, slotFailover, slotBlocked, slotDataGap}

// Slot is one ReplicationSlot's figures; nil pointers are unknown and
// remove the series rather than report a false zero.
type Slot struct {
	Namespace, Name, SlotName, Server string
	Ready, Active, DataGap            bool
	RetainedBytes, BudgetBytes        *int64
	LagBytes, SafeWALSizeBytes        *int64
	WALStatus, InvalidationReason     string
	InactiveSince                     *float64
	FailoverReady                     *bool
	BlockedSeconds                    float64
	Recreations                       int32
	DataGapBytesTotal                 int64
}

// SetSlot publishes a slot's figures. Series are updated in place, never
// deleted and re-added, so a scrape cannot catch an alert's series missing.
func SetSlot(s Slot) {
	l := prometheus.Labels{"namespace": s.Namespace, "name": s.Name, "slot": s.SlotName, "server": s.Server}
	if last := seen.swap(s.Namespace, s.Name, l, s.InvalidationReason); last != nil {
		forget(last)
	}
	slotReady.With(l).Set(b2f(s.Ready))
	slotActive.With(l).Set(b2f(s.Active))
	slotDataGap.With(l).Set(b2f(s.DataGap))
	slotBlocked.With(l).Set(s.BlockedSeconds)
	setOptional(slotRetained, l, s.RetainedBytes)
	setOptional(slotBudget, l, s.BudgetBytes)
	setOptional(slotLag, l, s.LagBytes)
	setOptional(slotSafeWAL, l, s.SafeWALSizeBytes)
	setOptionalFloat(slotInactiveAt, l, s.InactiveSince)
	setFailover(l, s.FailoverReady)
	setWALStatus(l, s.WALStatus)
	setInvalidated(l, s.InvalidationReason)
	values := []string{s.Namespace, s.Name, s.SlotName, s.Server}
	slotRecreated.set(float64(s.Recreations), values...)
	slotGapBytes.set(float64(s.DataGapBytesTotal), values...)
}

// DeleteSlot forgets every series of a ReplicationSlot.
func DeleteSlot(namespace, name string) {
	seen.drop(namespace, name)
	forget(prometheus.Labels{"namespace": namespace, "name": name})
}

// forget removes every series matching the labels in l.
func forget(l prometheus.Labels) {
	for _, v := range append(plainSlotGauges, slotWALStatus, slotInvalid) {
		v.DeletePartialMatch(l)
	}
	prefix := []string{l["namespace"], l["name"]}
	if l["slot"] != "" || l["server"] != "" {
		prefix = append(prefix, l["slot"], l["server"])
	}
	slotRecreated.deletePrefix(prefix...)
	slotGapBytes.deletePrefix(prefix...)
}

func setWALStatus(l prometheus.Labels, current string) {
	if current == "" {
		slotWALStatus.DeletePartialMatch(l)
		return
	}
	for _, st := range WALStatuses {
		slotWALStatus.With(with(l, "status", st)).Set(b2f(st == current))
	}
}

func setInvalidated(l prometheus.Labels, reason string) {
	if reason != "" {
		slotInvalid.With(with(l, "reason", reason)).Set(1)
	}
}

func setFailover(l prometheus.Labels, ready *bool) {
	if ready == nil {
		slotFailover.Delete(l)
		return
	}
	slotFailover.With(l).Set(b2f(*ready))
}

func setOptional(v *prometheus.GaugeVec, l prometheus.Labels, p *int64) {
	if p == nil {
		v.Delete(l)
		return
	}
	v.With(l).Set(float64(*p))
}

func setOptionalFloat(v *prometheus.GaugeVec, l prometheus.Labels, p *float64) {
	if p == nil {
		v.Delete(l)
		return
	}
	v.With(l).Set(*p)
}

func with(l prometheus.Labels, k, v string) prometheus.Labels {
	out := prometheus.Labels{k: v}
	for lk, lv := range l {
		out[lk] = lv
	}
	return out
}
