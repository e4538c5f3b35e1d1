package metrics

// The slot families. One collector holds every ReplicationSlot's figures in
// one compact record and writes its series when scraped: a GaugeVec child
// per series kept its own copy of the four label pairs, and with a dozen
// series per slot that was most of the operator's memory at a few thousand
// slots. The series are the same: names, help, types, labels and values.
var (
	slotReady      = slotFamily("slotkeeper_slot_ready", "1 when the ReplicationSlot's Ready condition is True.", gaugeKind)
	slotActive     = slotFamily("slotkeeper_slot_active", "1 when a consumer holds the slot.", gaugeKind)
	slotRetained   = slotFamily("slotkeeper_slot_retained_wal_bytes", "WAL the slot keeps on the server (current WAL position minus restart_lsn).", gaugeKind)
	slotBudget     = slotFamily("slotkeeper_slot_wal_budget_bytes", "spec.maxRetainedWAL of the slot, when set.", gaugeKind)
	slotLag        = slotFamily("slotkeeper_slot_lag_bytes", "How far the consumer is behind: current WAL position minus confirmed_flush_lsn (logical) or restart_lsn (physical).", gaugeKind)
	slotSafeWAL    = slotFamily("slotkeeper_slot_safe_wal_size_bytes", "WAL that can still be written before the slot is at risk of invalidation (pg_replication_slots.safe_wal_size); absent when max_slot_wal_keep_size is -1.", gaugeKind)
	slotWALStatus  = slotFamily("slotkeeper_slot_wal_status", "1 for the slot's current wal_status (reserved, extended, unreserved, lost), 0 for the others.", gaugeKind, "status")
	slotInvalid    = slotFamily("slotkeeper_slot_invalidated", "1 while PostgreSQL reports the slot invalidated, with the reason.", gaugeKind, "reason")
	slotInactiveAt = slotFamily("slotkeeper_slot_inactive_since_timestamp_seconds", "When the slot last lost its consumer, as Unix time (PostgreSQL 17+ inactive_since); absent while active.", gaugeKind)
	slotIdleAt     = slotFamily("slotkeeper_slot_idle_invalidation_timestamp_seconds", "When PostgreSQL 18+ may invalidate the inactive slot for idle_replication_slot_timeout, as Unix time: the first checkpoint after it does; absent while the slot is active, the timeout is 0, or the slot is a standby's synced copy.", gaugeKind)
	slotFailover   = slotFamily("slotkeeper_slot_failover_ready", "1 when FailoverReady is True; absent for slots without spec.failover.", gaugeKind)
	slotBlocked    = slotFamily("slotkeeper_slot_creation_blocked_seconds", "How long the slot's creation has been blocked (CreationBlocked=True); 0 when not blocked.", gaugeKind)
	slotDataGap    = slotFamily("slotkeeper_slot_data_gap", "1 while the slot has an unacknowledged data gap.", gaugeKind)
	slotRecreated  = slotFamily("slotkeeper_slot_recreations_total", "How often slotkeeper had to recreate the slot (status.recreations).", counterKind)
	slotGapBytes   = slotFamily("slotkeeper_slot_data_gap_bytes_total", "WAL bytes never decoded for the slot's consumer over all data gaps (status.dataGapBytesTotal).", counterKind)
	slotGapWindow  = slotFamily("slotkeeper_slot_data_gap_window_bytes", "Size of the unacknowledged data gap window, from the earliest unacknowledged fromLSN to the latest toLSN (status.lastDataGap.bytes); 0 when none, absent when its start is unknown.", gaugeKind)
	slotGapCount   = slotFamily("slotkeeper_slot_data_gap_recreations", "Recreations inside the unacknowledged data gap window (status.lastDataGap.recreations); 0 when none.", gaugeKind)
	slotAhead      = slotFamily("slotkeeper_slot_consumer_ahead_bytes", "WAL of changes the slot's consumer confirmed that the new primary never received, in the unacknowledged data gap window (status.lastDataGap.consumerAhead.bytes); 0 when none, absent when the fork point is unknown.", gaugeKind)
	slotVanished   = slotFamily("slotkeeper_slot_vanished_total", "How often the slot disappeared from its member with no failover and not by slotkeeper (status.vanished).", counterKind)
	slotLeft       = slotFamily("slotkeeper_slot_left_behind", "Slots of this object left on members it no longer targets (after a failover or a spec.location change) and not dropped yet, most often because a consumer still holds them (status.copies entries with former); absent when none.", gaugeKind)
)
