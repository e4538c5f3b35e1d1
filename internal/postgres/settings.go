package postgres

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Settings are the server parameters that decide whether slots can be
// created and how much WAL they may keep. A string is "" when the parameter
// does not exist on this version or the role may not read it.
type Settings struct {
	WALLevel             string
	MaxReplicationSlots  int32
	MaxWALSenders        int32
	MaxSlotWALKeepSize   string // "-1" or with unit, e.g. "10GB"
	HotStandbyFeedback   string
	SyncReplicationSlots string // PostgreSQL 17+
	// SynchronizedStandbySlots (17+, primary side) lists the physical slots
	// whose standbys must confirm WAL before logical failover slots may
	// decode it.
	SynchronizedStandbySlots string
	WALSenderTimeout         string
	// IdleReplicationSlotTimeout (18+) as current_setting() shows it
	// ("0", "30s", "1d"): inactive slots older than this are invalidated at
	// the next checkpoint. "0" or "" means never.
	IdleReplicationSlotTimeout string
	// EffectiveWALLevel (19+, read-only) is the WAL level in force: with
	// wal_level = replica it turns logical while a valid logical slot
	// exists, and a standby takes its primary's.
	EffectiveWALLevel string
	// Standby-side settings. PrimaryConnInfo never contains a password.
	PrimarySlotName string
	PrimaryConnInfo string
}

// settingNames are read from pg_settings, which simply omits parameters that
// do not exist on this version instead of failing like current_setting().
var settingNames = []string{
	"wal_level", "max_replication_slots", "max_wal_senders", "max_slot_wal_keep_size",
	"hot_standby_feedback", "sync_replication_slots", "synchronized_standby_slots", "wal_sender_timeout",
	"primary_slot_name", "primary_conninfo", "idle_replication_slot_timeout", "effective_wal_level",
}

const errMsgSettingNotInt = "setting is not an integer"

func settingsFromMap(m map[string]string) (Settings, error) {
	s := Settings{
		WALLevel:                   m["wal_level"],
		MaxSlotWALKeepSize:         m["max_slot_wal_keep_size"],
		HotStandbyFeedback:         m["hot_standby_feedback"],
		SyncReplicationSlots:       m["sync_replication_slots"],
		SynchronizedStandbySlots:   m["synchronized_standby_slots"],
		WALSenderTimeout:           m["wal_sender_timeout"],
		PrimarySlotName:            m["primary_slot_name"],
		PrimaryConnInfo:            StripPassword(m["primary_conninfo"]),
		IdleReplicationSlotTimeout: m["idle_replication_slot_timeout"],
		EffectiveWALLevel:          m["effective_wal_level"],
	}
	var err error
	if s.MaxReplicationSlots, err = settingInt32(m, "max_replication_slots"); err != nil {
		return Settings{}, err
	}
	if s.MaxWALSenders, err = settingInt32(m, "max_wal_senders"); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// IdleSlotTimeout is idle_replication_slot_timeout as a duration: 0 when
// it is off, absent (before 18) or unreadable. A bare number is in
// seconds, the setting's unit.
func (s Settings) IdleSlotTimeout() time.Duration {
	if s.IdleReplicationSlotTimeout == "" {
		return 0
	}
	d, err := ParseSettingDuration(s.IdleReplicationSlotTimeout, time.Second)
	if err != nil || d < 0 {
		return 0
	}
	return d
}

func settingInt32(m map[string]string, name string) (int32, error) {
	v, ok := m[name]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, &Error{Reason: ReasonUnknown, Message: errMsgSettingNotInt, Detail: name, Err: err}
	}
	return int32(n), nil
}

// StripPassword removes the password from a libpq connection string, in
// either the URI form or the keyword=value form, so it can be shown in a
// status or a log.
func StripPassword(conninfo string) string {
	s := strings.TrimSpace(conninfo)
	if strings.HasPrefix(s, "postgresql://") || strings.HasPrefix(s, "postgres://") {
		return stripURIPassword(s)
	}
	return stripKVPassword(s)
}

func stripURIPassword(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		// An unparsable URI might still carry a password; show nothing.
		return ""
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// stripKVPassword walks keyword = value pairs, where a value is either a
// bare word or a single-quoted string with backslash escapes, and rebuilds
// the string without password pairs.
func stripKVPassword(s string) string {
	var out []string
	for rest := s; ; {
		rest = strings.TrimLeft(rest, " \t\n\r")
		if rest == "" {
			break
		}
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			return "" // malformed: refuse rather than risk leaking
		}
		key = strings.TrimSpace(key)
		value, remaining := cutValue(strings.TrimLeft(after, " \t\n\r"))
		if key != "password" {
			out = append(out, key+"="+value)
		}
		rest = remaining
	}
	return strings.Join(out, " ")
}

// ConnInfoParam returns one parameter of a libpq connection string, in
// either form, unquoted; "" when absent or unreadable.
func ConnInfoParam(conninfo, key string) string {
	s := strings.TrimSpace(conninfo)
	if strings.HasPrefix(s, "postgresql://") || strings.HasPrefix(s, "postgres://") {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return u.Query().Get(key)
	}
	for rest := s; ; {
		rest = strings.TrimLeft(rest, " \t\n\r")
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			return ""
		}
		value, remaining := cutValue(strings.TrimLeft(after, " \t\n\r"))
		if strings.TrimSpace(k) == key {
			return unquoteValue(value)
		}
		rest = remaining
	}
}

// unquoteValue turns a raw value as cutValue returns it into its text:
// without the quotes, with backslash escapes resolved.
func unquoteValue(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = v[1 : len(v)-1]
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// cutValue returns the raw (still quoted) value at the start of s and the rest.
func cutValue(s string) (string, string) {
	if !strings.HasPrefix(s, "'") {
		if i := strings.IndexAny(s, " \t\n\r"); i >= 0 {
			return s[:i], s[i:]
		}
		return s, ""
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			return s[:i+1], s[i+1:]
		}
	}
	return s, "" // unterminated quote: keep as is
}
