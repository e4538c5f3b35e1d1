package postgres

import "regexp"

// MaxNameLen is PostgreSQL's NAMEDATALEN-1. Longer names passed as the name
// type are truncated silently, so slotkeeper refuses them up front.
const MaxNameLen = 63

// slotNamePattern is what ReplicationSlotValidateName accepts.
var slotNamePattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// pluginPattern is a plain library name. PostgreSQL loads an output plugin
// by file name and takes a name with a slash as a path, so a plugin name
// must never be able to point at an arbitrary library on the server.
var pluginPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// ConflictDetectionSlot is the slot PostgreSQL 19's logical replication
// launcher keeps for subscriptions with retain_dead_tuples (it holds back
// xmin). PostgreSQL reserves the name; slotkeeper never creates, adopts,
// advances, alters or drops a slot of that name.
const ConflictDetectionSlot = "pg_conflict_detection"

const (
	errMsgReserved      = "slot name pg_conflict_detection is reserved for PostgreSQL's own conflict detection slot"
	errMsgNameEmpty     = "slot name is empty"
	errMsgNameTooLong   = "slot name is longer than 63 bytes"
	errMsgNameChars     = "slot name may only contain a-z, 0-9 and _"
	errMsgPluginEmpty   = "output plugin is empty"
	errMsgPluginTooLong = "output plugin name is longer than 63 bytes"
	errMsgPluginChars   = "output plugin may only contain letters, digits, _, . and - (a library name, not a path)"
)

// ValidateSlotName checks a slot name without asking the server; the
// returned error is an *Error with ReasonInvalidName.
func ValidateSlotName(name string) error {
	switch {
	case name == "":
		return invalidName(errMsgNameEmpty, name)
	case len(name) > MaxNameLen:
		return invalidName(errMsgNameTooLong, name)
	case !slotNamePattern.MatchString(name):
		return invalidName(errMsgNameChars, name)
	case name == ConflictDetectionSlot:
		return invalidName(errMsgReserved, name)
	}
	return nil
}

// validatePlugin guards against the same silent truncation for plugins.
func validatePlugin(plugin string) error {
	switch {
	case plugin == "":
		return invalidName(errMsgPluginEmpty, plugin)
	case len(plugin) > MaxNameLen:
		return invalidName(errMsgPluginTooLong, plugin)
	case !pluginPattern.MatchString(plugin):
		return invalidName(errMsgPluginChars, plugin)
	}
	return nil
}

func invalidName(msg, name string) *Error {
	return &Error{Reason: ReasonInvalidName, Message: msg, Detail: name}
}
