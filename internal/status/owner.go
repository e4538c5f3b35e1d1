package status

import (
	"regexp"
	"strings"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// ownerRule maps a slot name pattern or plugin to the tool that usually
// creates such slots. Only a hint: names are free text and any tool can be
// configured to use any name.
type ownerRule struct {
	name   *regexp.Regexp // nil: any name
	plugin string         // "": any plugin
	hint   string
}

// ownerRules are tried in order; the first match wins.
var ownerRules = []ownerRule{
	{name: regexp.MustCompile(`^pg_\d+_sync_\d+_\d+$`), hint: "PostgreSQL subscription table sync worker (temporary, ends with the initial copy)"},
	{name: regexp.MustCompile(`^pg_basebackup_\d+$`), hint: "pg_basebackup (temporary)"},
	{name: regexp.MustCompile(`^_cnpg_`), hint: "CloudNativePG replica slot"},
	{name: regexp.MustCompile(`^pgl_`), hint: "pglogical"},
	{plugin: "pglogical_output", hint: "pglogical"},
	{name: regexp.MustCompile(`^bdr_`), hint: "BDR / EDB Postgres Distributed"},
	{name: regexp.MustCompile(`debezium`), hint: "Debezium"},
	{plugin: "decoderbufs", hint: "Debezium (decoderbufs)"},
	{name: regexp.MustCompile(`^electric`), hint: "ElectricSQL"},
	{name: regexp.MustCompile(`^(materialize_|mz_)`), hint: "Materialize"},
	{name: regexp.MustCompile(`^airbyte`), hint: "Airbyte"},
	{name: regexp.MustCompile(`^fivetran`), hint: "Fivetran"},
	{name: regexp.MustCompile(`^peerflow_slot_`), hint: "PeerDB"},
	{name: regexp.MustCompile(`^supabase_realtime`), hint: "Supabase Realtime"},
	{name: regexp.MustCompile(`^repmgr_slot_\d+$`), hint: "repmgr standby"},
	{name: regexp.MustCompile(`^barman`), hint: "Barman (pg_receivewal)"},
	{plugin: "wal2json", hint: "wal2json consumer (AWS DMS, older Debezium and others)"},
	{plugin: "test_decoding", hint: "test_decoding: usually a manual or test slot"},
	{plugin: "pgoutput", hint: "pgoutput: a PostgreSQL subscription (pg_subscription.subslotname on the subscriber) or a CDC tool using pgoutput"},
}

// conflictDetectionOwner describes PostgreSQL 19's own slot. Unlike the
// hints above this is certain: PostgreSQL reserves the name.
const conflictDetectionOwner = "PostgreSQL itself (19+): the logical replication launcher of this server, as a subscriber, " +
	"keeps it for subscriptions with retain_dead_tuples, holding back the removal of dead rows conflict detection needs; " +
	"slotkeeper never adopts or drops it, and neither should anyone else: to release what it holds, " +
	"turn retain_dead_tuples off on those subscriptions"

// PostgresOwnSlot says what PostgreSQL itself keeps the named slot for, or
// "" when PostgreSQL does not own the name.
func PostgresOwnSlot(name string) string {
	if name == postgres.ConflictDetectionSlot {
		return conflictDetectionOwner
	}
	return ""
}

// OwnerHint guesses which tool made a slot from its name and plugin.
func OwnerHint(name, plugin string, physical bool) string {
	if own := PostgresOwnSlot(name); own != "" {
		return own
	}
	lower := strings.ToLower(name)
	for _, r := range ownerRules {
		if (r.name == nil || r.name.MatchString(lower)) && (r.plugin == "" || r.plugin == plugin) {
			return r.hint
		}
	}
	if physical {
		return "physical: a standby (Patroni names member slots after the member) or a WAL archiver such as pg_receivewal"
	}
	return ""
}
