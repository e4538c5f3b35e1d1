package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Identity describes a server as seen by the connecting role.
type Identity struct {
	InRecovery       bool
	VersionNum       int    // server_version_num, e.g. 170010
	Version          string // "17.10", without distribution suffixes
	SystemIdentifier string // same on a primary and all its physical standbys
	// Timeline on a primary comes from the current WAL file name; on a
	// standby it is the timeline received from upstream (or, without a WAL
	// receiver, the one of the last restartpoint).
	Timeline int64
	// WALPosition is pg_current_wal_lsn() on a primary and the replay
	// position on a standby: the point slot retention is measured from.
	WALPosition LSN
	// ReceivedPosition, on a standby, is the last WAL position received
	// and flushed from its upstream (pg_last_wal_receive_lsn); zero on a
	// primary or before it streamed.
	ReceivedPosition LSN
	PostmasterStart  time.Time
	UsedSlots        int32
	Settings         Settings
	Rights           Rights
	// HAManager names the HA manager whose sessions are connected
	// (Patroni, CloudNativePG), "" when none is seen; ClusterName is
	// cluster_name, which Patroni sets to its scope.
	HAManager   string
	ClusterName string
}

// HA managers recognised by their sessions' application_name: Patroni
// 3.0/3.1 call every session "Patroni", 3.2+ "Patroni heartbeat" and
// "Patroni restapi"; CloudNativePG's instance manager names its own.
const (
	HAManagerPatroni = "Patroni"
	HAManagerCNPG    = "CloudNativePG"
)

// Rights are what the connecting role may do with replication slots.
type Rights struct {
	User                   string
	Superuser, Replication bool
	// StandbySnapshotExists is true from PostgreSQL 16 on, where
	// pg_log_standby_snapshot() speeds up logical slot creation on standbys.
	StandbySnapshotExists  bool
	StandbySnapshotExecute bool
}

// identifySQL answers everything in one round trip. Branches that would fail
// on the other side of recovery (pg_walfile_name, pg_current_wal_lsn) sit
// inside CASE so they are only evaluated where they work; every function used
// is executable by PUBLIC or pg_monitor, so superuser is not needed.
// has_function_privilege(oid, ...) is strict: NULL when the function does
// not exist (PostgreSQL 15), so it is never asked about a missing function.
const identifySQL = `
SELECT pg_is_in_recovery(),
       current_setting('server_version_num')::int,
       current_setting('server_version'),
       (SELECT system_identifier::text FROM pg_control_system()),
       CASE WHEN NOT pg_is_in_recovery() THEN pg_walfile_name(pg_current_wal_lsn()) END,
       CASE WHEN pg_is_in_recovery() THEN
            COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),
                     (SELECT timeline_id FROM pg_control_checkpoint()))::bigint END,
       (CASE WHEN pg_is_in_recovery()
             THEN COALESCE(pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn())
             ELSE pg_current_wal_lsn() END)::text,
       CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()::text END,
       pg_postmaster_start_time(),
       (SELECT count(*) FROM pg_replication_slots)::int,
       (SELECT json_object_agg(name, current_setting(name)) FROM pg_settings WHERE name = ANY($1)),
       r.rolname::text, r.rolsuper, r.rolreplication,
       to_regprocedure('pg_log_standby_snapshot()') IS NOT NULL,
       COALESCE(has_function_privilege(to_regprocedure('pg_log_standby_snapshot()'), 'EXECUTE'), false),
       (SELECT CASE WHEN bool_or(application_name = 'Patroni' OR application_name LIKE 'Patroni %') THEN 'Patroni'
                    WHEN bool_or(application_name = 'cnpg-instance-manager') THEN 'CloudNativePG' ELSE '' END
          FROM pg_stat_activity WHERE application_name LIKE 'Patroni%' OR application_name = 'cnpg-instance-manager'),
       current_setting('cluster_name')
FROM pg_roles r WHERE r.rolname = current_user`

const errMsgIdentify = "identify server"

// Identify reads version, identity, WAL position, settings and rights in one
// query. It works for a role with pg_monitor and without superuser.
func Identify(ctx context.Context, q Querier) (Identity, error) {
	var (
		id          Identity
		walFile     *string
		standbyTLI  *int64
		walPos      *string
		received    *string
		settingsMap map[string]string
	)
	err := q.QueryRow(ctx, identifySQL, settingNames).Scan(
		&id.InRecovery, &id.VersionNum, &id.Version, &id.SystemIdentifier,
		&walFile, &standbyTLI, &walPos, &received, &id.PostmasterStart, &id.UsedSlots,
		&settingsMap, &id.Rights.User, &id.Rights.Superuser, &id.Rights.Replication,
		&id.Rights.StandbySnapshotExists, &id.Rights.StandbySnapshotExecute,
		&id.HAManager, &id.ClusterName,
	)
	if err != nil {
		return Identity{}, Classify(err)
	}
	id.Version, _, _ = strings.Cut(id.Version, " ") // "15.18 (Debian 15.18-0+deb12u1)"
	clipAll(&id.Version, &id.SystemIdentifier, &id.HAManager, &id.ClusterName, &id.Rights.User)
	for k, v := range settingsMap {
		settingsMap[k] = clipText(v)
	}
	if id.Timeline, err = timeline(walFile, standbyTLI); err != nil {
		return Identity{}, err
	}
	if id.WALPosition, err = optionalLSN(walPos); err != nil {
		return Identity{}, err
	}
	if id.ReceivedPosition, err = optionalLSN(received); err != nil {
		return Identity{}, err
	}
	if id.Settings, err = settingsFromMap(settingsMap); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// timeline takes the standby's timeline, or on a primary the first eight hex
// digits of the WAL file name (e.g. 000000010000000000000003 -> 1).
func timeline(walFile *string, standbyTLI *int64) (int64, error) {
	if standbyTLI != nil {
		return *standbyTLI, nil
	}
	if walFile == nil || len(*walFile) < 8 {
		return 0, nil
	}
	tli, err := strconv.ParseInt((*walFile)[:8], 16, 64)
	if err != nil {
		return 0, &Error{Reason: ReasonUnknown, Message: errMsgIdentify, Err: fmt.Errorf("WAL file name %q: %w", *walFile, err)}
	}
	return tli, nil
}

// optionalLSN parses a position the identify query may leave NULL.
func optionalLSN(s *string) (LSN, error) {
	if s == nil {
		return 0, nil
	}
	l, err := ParseLSN(*s)
	if err != nil {
		return 0, &Error{Reason: ReasonUnknown, Message: errMsgIdentify, Err: err}
	}
	return l, nil
}
