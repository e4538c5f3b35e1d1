package postgres

// What a server can do, by version, named for the decision it serves so
// that no caller compares version numbers.

// LogicalSlotsOnStandby reports whether logical slots can live on a standby
// of this server's version (16+), and pg_log_standby_snapshot() exists.
func (id *Identity) LogicalSlotsOnStandby() bool { return id.VersionNum >= version16 }

// SyncsFailoverSlots reports whether PostgreSQL itself keeps copies of
// logical failover slots on standbys (17+: the slot's failover property
// and the slot sync worker).
func (id *Identity) SyncsFailoverSlots() bool { return id.VersionNum >= version17 }

// InvalidatesIdleSlots reports whether idle_replication_slot_timeout
// exists (18+): checkpoints invalidate slots inactive for longer.
func (id *Identity) InvalidatesIdleSlots() bool { return id.VersionNum >= version18 }

// LogicalDecodingOnDemand reports whether a logical slot can be created
// with wal_level = replica (19+): creating the first one turns
// effective_wal_level to logical, and once no valid logical slot is left
// the checkpointer turns it back. Untested against a real 19.
func (id *Identity) LogicalDecodingOnDemand() bool { return id.VersionNum >= version19 }
