package status

import (
	"strings"
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestOwnerHint(t *testing.T) {
	cases := []struct {
		name, plugin string
		physical     bool
		want         string
	}{
		{"pg_16404_sync_16390_7391234567890123456", "pgoutput", false, "PostgreSQL subscription table sync worker (temporary, ends with the initial copy)"},
		{"orders_sub", "pgoutput", false, "pgoutput: a PostgreSQL subscription (pg_subscription.subslotname on the subscriber) or a CDC tool using pgoutput"},
		{"pgl_shop_provider_sub1", "pglogical_output", false, "pglogical"},
		{"anything", "pglogical_output", false, "pglogical"},
		{"bdr_16385_6801234_1_16386__", "bdr", false, "BDR / EDB Postgres Distributed"},
		{"_cnpg_cluster_example_2", "", true, "CloudNativePG replica slot"},
		{"debezium_orders", "pgoutput", false, "Debezium"},
		{"Debezium", "pgoutput", false, "Debezium"},
		{"cdc", "decoderbufs", false, "Debezium (decoderbufs)"},
		{"electric_slot_default", "pgoutput", false, "ElectricSQL"},
		{"materialize_7f3a", "pgoutput", false, "Materialize"},
		{"airbyte_slot", "pgoutput", false, "Airbyte"},
		{"repmgr_slot_2", "", true, "repmgr standby"},
		{"barman", "", true, "Barman (pg_receivewal)"},
		{"dms_slot", "wal2json", false, "wal2json consumer (AWS DMS, older Debezium and others)"},
		{"pg_basebackup_4242", "", true, "pg_basebackup (temporary)"},
		{"postgresql_1", "", true, "physical: a standby (Patroni names member slots after the member) or a WAL archiver such as pg_receivewal"},
		{"my_decoder", "my_plugin", false, ""},
		// PostgreSQL 19's own slot: physical, no plugin, and certain.
		{"pg_conflict_detection", "", true, conflictDetectionOwner},
		// A name that mentions a tool only in the middle does not count,
		// except Debezium, whose users pick free names around the word.
		{"not_pgl_slot", "my_plugin", false, ""},
	}
	for _, c := range cases {
		if got := OwnerHint(c.name, c.plugin, c.physical); got != c.want {
			t.Errorf("OwnerHint(%q, %q, %v) = %q, want %q", c.name, c.plugin, c.physical, got, c.want)
		}
	}
}

// PostgreSQL's own slot is named as such in the inventory even when a
// consumer's name would make it look like an HA manager's member slot
// (untested against a real 19).
func TestLikelyOwnerConflictDetectionSlot(t *testing.T) {
	p := member(1, false, "7")
	snap := observation.NewSnapshot(time.Now(), "", []observation.Member{p})
	sl := postgres.Slot{Name: postgres.ConflictDetectionSlot, Type: "physical",
		Consumer: &postgres.Consumer{PID: 9, ApplicationName: "pg-conflict-detection"}}
	got := likelyOwner(snap, sl)
	if !strings.HasPrefix(got, "PostgreSQL itself (19+)") || !strings.Contains(got, "retain_dead_tuples") {
		t.Fatalf("likelyOwner = %q", got)
	}
	if PostgresOwnSlot("pg_conflict_detection_copy") != "" {
		t.Fatal("only the reserved name is PostgreSQL's own")
	}
}
