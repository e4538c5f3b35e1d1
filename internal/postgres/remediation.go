package postgres

import (
	"github.com/jackc/pgx/v5"
	"regexp"
	"strings"
)

// quoted finds the first "double-quoted" word of a server message, which is
// where PostgreSQL puts the plugin file or slot name.
var quoted = regexp.MustCompile(`"([^"]*)"`)

// Remediation returns one short, actionable sentence for a human reading a
// status condition; role is the PostgreSQL role slotkeeper connects as. It
// returns "" when there is nothing better to say than the error itself.
func Remediation(e *Error, role string) string {
	if e == nil {
		return ""
	}
	if role == "" {
		role = "<role>"
	}
	switch e.Reason {
	case ReasonPermissionDenied:
		return "grant the replication attribute: ALTER ROLE " + QuoteRole(role) + " REPLICATION"
	case ReasonWALLevelTooLow:
		return walLevelRemediation(e.Message)
	case ReasonTooManySlots:
		return "drop unused replication slots, or raise max_replication_slots and restart PostgreSQL"
	case ReasonPluginMissing:
		return "install the output plugin " + pluginFromMessage(e.Message) + " on the server"
	case ReasonSlotExists:
		return "a slot with this name already exists; adopt it or choose another name"
	case ReasonSlotActive:
		return "stop the consumer streaming from the slot first"
	case ReasonAuthenticationFailed:
		return "check the user " + role + " and the password in the connection Secret, and pg_hba.conf"
	case ReasonServerUnavailable:
		return "check that PostgreSQL is running and reachable; slotkeeper retries by itself"
	case ReasonSlotNotFound:
		return "the slot does not exist; nothing to drop"
	case ReasonInvalidName:
		return "use a slot name of at most 63 bytes made of a-z, 0-9 and _"
	case ReasonDatabaseMissing:
		return "create the database or correct the database name"
	case ReasonUnsupported:
		return "upgrade PostgreSQL or do not request this feature on this server"
	}
	return e.Hint
}

// walLevelRemediation: PostgreSQL 19 names effective_wal_level when a
// standby refuses logical decoding because its primary has it off; there
// a logical slot on the primary turns it on as well as wal_level does.
func walLevelRemediation(msg string) string {
	if strings.Contains(msg, "effective_wal_level") {
		return "on the primary, set wal_level = logical and restart, or keep a logical slot there " +
			"(PostgreSQL 19 turns logical decoding on while one exists)"
	}
	return "set wal_level = logical and restart PostgreSQL"
}

// pluginFromMessage extracts the plugin from `could not access file
// "no_such_plugin": No such file or directory`.
func pluginFromMessage(msg string) string {
	if m := quoted.FindStringSubmatch(msg); m != nil {
		return strings.TrimSuffix(m[1], ".so")
	}
	return "named in the slot spec"
}

// QuoteRole quotes a role name for the SQL a message suggests, so that a
// pasted statement names exactly that role whatever characters it holds
// (the name comes from a Secret, or from the server).
func QuoteRole(name string) string {
	if name == "<role>" {
		return name
	}
	return pgx.Identifier{name}.Sanitize()
}
