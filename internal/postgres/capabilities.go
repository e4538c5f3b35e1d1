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
