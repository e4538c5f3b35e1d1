package postgres

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func (e *env) testIdentifyPrimary(t *testing.T) {
	ctx := t.Context()
	id, err := Identify(ctx, e.connect(t, e.primary, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	e.checkCommonIdentity(t, id)
	if id.InRecovery {
		t.Error("primary reports recovery")
	}
	if id.UsedSlots < 1 {
		t.Errorf("UsedSlots = %d, want the standby's slot at least", id.UsedSlots)
	}
	s := id.Settings
	if s.WALLevel != "logical" || s.MaxReplicationSlots != 50 || s.MaxWALSenders != 20 || s.MaxSlotWALKeepSize != "-1" {
		t.Errorf("settings: %+v", s)
	}
	if s.PrimarySlotName != "" || s.PrimaryConnInfo != "" {
		t.Errorf("primary has standby settings: %+v", s)
	}
	// Any Querier will do, a transaction included.
	tx, err := e.connect(t, e.primary, appDB).Begin(ctx)
	must(t, err)
	if txID, err := Identify(ctx, tx); err != nil || txID.SystemIdentifier != id.SystemIdentifier {
		t.Errorf("Identify in a transaction: %v", err)
	}
	must(t, tx.Rollback(ctx))
	if id.Rights.StandbySnapshotExecute {
		t.Error("StandbySnapshotExecute true for a role without the grant")
	}
	if e.major >= 16 {
		// Execute is granted explicitly; then Identify must see it.
		must(t, e.primary.Exec(ctx, "GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() TO "+repRole))
		id, err = Identify(ctx, e.connect(t, e.primary, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		if !id.Rights.StandbySnapshotExecute {
			t.Error("StandbySnapshotExecute false after GRANT EXECUTE")
		}
	}
}

func (e *env) testIdentifyStandby(t *testing.T) {
	ctx := t.Context()
	pid, err := Identify(ctx, e.connect(t, e.primary, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := Identify(ctx, e.connect(t, e.standby, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	e.checkCommonIdentity(t, id)
	if !id.InRecovery {
		t.Error("standby not in recovery")
	}
	if id.SystemIdentifier != pid.SystemIdentifier {
		t.Errorf("system identifier %s on standby, %s on primary", id.SystemIdentifier, pid.SystemIdentifier)
	}
	s := id.Settings
	if s.PrimarySlotName != standbyName {
		t.Errorf("PrimarySlotName = %q", s.PrimarySlotName)
	}
	if !strings.Contains(s.PrimaryConnInfo, "application_name="+standbyName) || strings.Contains(s.PrimaryConnInfo, standbySecret) {
		t.Errorf("PrimaryConnInfo = %q: want it without the password", s.PrimaryConnInfo)
	}
}

// checkCommonIdentity checks what primary and standby have in common, as
// seen by a REPLICATION + pg_monitor role that is not superuser.
func (e *env) checkCommonIdentity(t *testing.T, id Identity) {
	t.Helper()
	if id.VersionNum/10000 != e.major || !strings.HasPrefix(id.Version, strconv.Itoa(e.major)+".") || strings.Contains(id.Version, " ") {
		t.Errorf("version %d %q for major %d", id.VersionNum, id.Version, e.major)
	}
	if _, err := strconv.ParseUint(id.SystemIdentifier, 10, 64); err != nil {
		t.Errorf("system identifier %q: %v", id.SystemIdentifier, err)
	}
	if id.Timeline != 1 {
		t.Errorf("timeline %d, want 1", id.Timeline)
	}
	if id.WALPosition == 0 {
		t.Error("WAL position is 0")
	}
	if age := time.Since(id.PostmasterStart); age < 0 || age > time.Hour {
		t.Errorf("postmaster start %v", id.PostmasterStart)
	}
	r := id.Rights
	if r.User != repRole || r.Superuser || !r.Replication {
		t.Errorf("rights %+v", r)
	}
	if r.StandbySnapshotExists != (e.major >= 16) {
		t.Errorf("StandbySnapshotExists = %v on %d", r.StandbySnapshotExists, e.major)
	}
	if r.StandbySnapshotExecute && e.major < 16 {
		t.Error("StandbySnapshotExecute true without the function")
	}
	if (id.Settings.SyncReplicationSlots != "") != (e.major >= 17) {
		t.Errorf("sync_replication_slots = %q on %d", id.Settings.SyncReplicationSlots, e.major)
	}
	if id.Settings.HotStandbyFeedback == "" || id.Settings.WALSenderTimeout == "" {
		t.Errorf("settings missing: %+v", id.Settings)
	}
}

// An HA manager is recognised from its sessions, which another role owns:
// the connecting role sees their application_name through pg_monitor.
func (e *env) testIdentifyHAManager(t *testing.T) {
	ctx := t.Context()
	id, err := Identify(ctx, e.connect(t, e.primary, "postgres"))
	must(t, err)
	if id.HAManager != "" {
		t.Fatalf("HAManager %q with no HA manager connected", id.HAManager)
	}
	for _, c := range []struct{ app, want string }{
		{"Patroni", HAManagerPatroni},           // 3.0 and 3.1
		{"Patroni heartbeat", HAManagerPatroni}, // 3.2 and later
		{"cnpg-instance-manager", HAManagerCNPG},
		{"Patronic", ""},
	} {
		conn, err := pgx.Connect(ctx, e.primary.DSN("postgres", "", "postgres")+"&application_name="+url.PathEscape(c.app))
		must(t, err)
		id, err := Identify(ctx, e.connect(t, e.primary, "postgres"))
		must(t, err)
		_ = conn.Close(ctx)
		if id.HAManager != c.want {
			t.Errorf("a session named %q: HAManager %q, want %q", c.app, id.HAManager, c.want)
		}
		// A backend leaves pg_stat_activity a moment after its client
		// closed: the next case must not see this one.
		e.waitSessionGone(t, c.app)
	}
	if id.ClusterName != "" {
		t.Errorf("ClusterName %q, want the server's empty cluster_name", id.ClusterName)
	}
}

// waitSessionGone waits up to 10 s until no session named app is left.
func (e *env) waitSessionGone(t *testing.T, app string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		conn, err := pgx.Connect(t.Context(), e.primary.SuperuserDSN("postgres"))
		if err == nil {
			err = conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n)
			_ = conn.Close(context.Background())
		}
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %q still in pg_stat_activity after 10s (err %v)", app, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
