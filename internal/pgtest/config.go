package pgtest

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// confFile holds the settings pgtest manages; postgresql.conf includes it
// last, so it wins over initdb's defaults (ALTER SYSTEM still wins over it).
const confFile = "pgtest.conf"

// hbaConf trusts only the superuser, so that tests can check that a wrong
// password for an ordinary role fails with SQLSTATE 28P01.
const hbaConf = `# Written by pgtest.
# TYPE  DATABASE     USER      ADDRESS        METHOD
local   all          all                      trust
local   replication  all                      trust
host    all          postgres  127.0.0.1/32   trust
host    replication  postgres  127.0.0.1/32   trust
host    all          all       127.0.0.1/32   scram-sha-256
host    replication  all       127.0.0.1/32   scram-sha-256
`

// defaultSettings favour speed over durability (nothing here must survive
// an OS crash) and leave room for the slots and standbys tests create.
var defaultSettings = map[string]string{
	"wal_level":                   "logical",
	"max_replication_slots":       "50",
	"max_wal_senders":             "20",
	"fsync":                       "off",
	"synchronous_commit":          "off",
	"full_page_writes":            "off", // base backups force them on while running
	"shared_buffers":              "32MB",
	"max_connections":             "100",
	"logging_collector":           "off", // stderr goes to our log file
	"hot_standby":                 "on",
	"wal_keep_size":               "64MB",
	"checkpoint_timeout":          "1d",
	"log_checkpoints":             "off",
	"log_min_messages":            "warning",
	"log_line_prefix":             "%m [%p] %q%u@%d/%a ",
	"wal_retrieve_retry_interval": "1s", // standbys reconnect quickly after a primary restart
	// Dynamic shared memory as files in the data directory rather than in
	// /dev/shm: a killed server's segments then vanish with its directory,
	// and many servers cannot fill a container's small /dev/shm.
	"dynamic_shared_memory_type": "mmap",
}

// conf renders the settings file for s: defaults, then s's own settings,
// then what pgtest must control (address, port, socket directory).
func (s *Server) conf() string {
	all := maps.Clone(defaultSettings)
	maps.Copy(all, s.settings)
	all["listen_addresses"] = s.Host
	all["port"] = strconv.Itoa(s.Port)
	all["unix_socket_directories"] = socketDir(s.baseDir)
	var b strings.Builder
	b.WriteString("# Written by pgtest on every start; edit through Server.SetSettings.\n")
	for _, k := range slices.Sorted(maps.Keys(all)) {
		fmt.Fprintf(&b, "%s = %s\n", k, quoteConf(all[k]))
	}
	return b.String()
}

// writeConf writes the settings file into the data directory.
func (s *Server) writeConf() error {
	return writeServerFile(filepath.Join(s.DataDir, confFile), s.conf())
}

// socketDir returns dir if a socket in it fits the 107-byte sun_path limit,
// else "" (TCP only): a long TMPDIR must not stop the server from starting.
func socketDir(dir string) string {
	if len(dir)+len("/.s.PGSQL.65535.lock") > 100 {
		return ""
	}
	return dir
}

// quoteConf quotes any value for postgresql.conf; every setting accepts a
// quoted value.
func quoteConf(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// merged returns the union of maps, later ones winning.
func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}
