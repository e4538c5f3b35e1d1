package pgtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
)

// Patroni reads YAML; the files are written as JSON, which YAML parsers
// accept as it is, so no YAML library is needed and nothing is lost in
// quoting.

// patroniHBA asks for passwords (scram-sha-256) over TCP, from 127.0.0.1
// only, as a real deployment would and as slotkeeper connects; the unix
// socket in the member's directory is trusted, for debugging with psql.
var patroniHBA = []string{
	"local all all trust",
	"local replication all trust",
	"host all all 127.0.0.1/32 scram-sha-256",
	"host replication all 127.0.0.1/32 scram-sha-256",
}

// patroniParameters are the dynamic (cluster-wide) PostgreSQL settings.
// wal_log_hints lets Patroni pg_rewind a former leader after a failover.
var patroniParameters = map[string]any{
	"wal_level":             "logical",
	"hot_standby_feedback":  "on",
	"max_replication_slots": 50,
	"max_wal_senders":       20,
	"max_connections":       100,
	"wal_keep_size":         "128MB",
	"wal_log_hints":         "on",
}

// patroniLocalParameters are per member: speed over durability as in
// config.go (but full_page_writes stays on: pg_rewind requires it), the
// log in the member's directory, and dynamic shared memory in the data
// directory so that a killed member leaves nothing in /dev/shm.
func patroniLocalParameters(dir string) map[string]any {
	return map[string]any{
		"unix_socket_directories":    socketDir(dir),
		"fsync":                      "off",
		"synchronous_commit":         "off",
		"shared_buffers":             "32MB",
		"dynamic_shared_memory_type": "mmap",
		"logging_collector":          "on",
		"log_directory":              dir,
		"log_filename":               "postgres.log",
		"log_file_mode":              "0644",
		"log_line_prefix":            "%m [%p] %q%u@%d/%a ",
		"log_min_messages":           "warning",
		// A new replica asks for its slot before the leader's next loop
		// creates it; retry in 1 s rather than the default 5 s.
		"wal_retrieve_retry_interval": "1s",
	}
}

// patroniNode is one process of the rig: a member's Patroni or the witness.
type patroniNode struct {
	member     PatroniMember // the witness has only a Name
	bin        string
	dir        string
	raftAddr   string // its Raft node's self_addr
	configPath string
	logPath    string // the process's stdout and stderr
	pgLogPath  string // members only

	// Guarded by procMu: the running process, where the log stood when it
	// started, and how far the watchdog has read the log.
	proc        *process
	startOffset int64
	scanned     int64
}

func (c *PatroniCluster) newMember(patroni string, i, pgPort, restPort int, raftAddrs []string) (*patroniNode, error) {
	name := "pg" + strconv.Itoa(i)
	n, err := newPatroniNode(c.baseDir, name, patroni)
	if err != nil {
		return nil, err
	}
	n.member = PatroniMember{
		Name: name, PGHost: "127.0.0.1", PGPort: pgPort,
		RESTURL: fmt.Sprintf("http://127.0.0.1:%d", restPort),
		DataDir: filepath.Join(n.dir, "data"),
	}
	n.pgLogPath = filepath.Join(n.dir, "postgres.log")
	n.raftAddr = raftAddrs[i]
	cfg := c.memberConfig(n, restPort, raftAddrs[i], others(raftAddrs, i))
	return n, writePatroniConfig(n.configPath, cfg)
}

func (c *PatroniCluster) newWitness(controller string, raftAddrs []string) (*patroniNode, error) {
	n, err := newPatroniNode(c.baseDir, "witness", controller)
	if err != nil {
		return nil, err
	}
	n.member = PatroniMember{Name: "witness"}
	last := len(raftAddrs) - 1
	n.raftAddr = raftAddrs[last]
	cfg := map[string]any{
		"log":  patroniLogConfig(),
		"raft": raftConfig(n.dir, raftAddrs[last], raftAddrs[:last]),
	}
	return n, writePatroniConfig(n.configPath, cfg)
}

func newPatroniNode(base, name, bin string) (*patroniNode, error) {
	dir := filepath.Join(base, name)
	if err := currentServerUser().makeServerDir(dir); err != nil {
		return nil, err
	}
	return &patroniNode{
		member: PatroniMember{Name: name}, bin: bin, dir: dir,
		configPath: filepath.Join(dir, "patroni.yml"),
		logPath:    filepath.Join(dir, "patroni.log"),
	}, nil
}

func (c *PatroniCluster) memberConfig(n *patroniNode, restPort int, raftSelf string, raftPartners []string) map[string]any {
	restAddr := fmt.Sprintf("127.0.0.1:%d", restPort)
	restapi := map[string]any{"listen": restAddr, "connect_address": restAddr}
	if c.opts.RESTUsername != "" {
		restapi["authentication"] = map[string]any{"username": c.opts.RESTUsername, "password": c.opts.RESTPassword}
	}
	return map[string]any{
		"scope":      c.Scope,
		"name":       n.member.Name,
		"log":        patroniLogConfig(),
		"restapi":    restapi,
		"raft":       raftConfig(filepath.Join(n.dir, "raft"), raftSelf, raftPartners),
		"bootstrap":  map[string]any{"dcs": c.dynamicConfig(), "initdb": []any{map[string]any{"encoding": "UTF8"}}},
		"postgresql": c.postgresqlConfig(n),
		// No /dev/watchdog in a test: without this Patroni looks for one
		// every loop and logs about it.
		"watchdog": map[string]any{"mode": "off"},
	}
}

// dynamicConfig is what Patroni writes to the DCS at bootstrap and what
// GET /config returns.
func (c *PatroniCluster) dynamicConfig() map[string]any {
	params := maps.Clone(patroniParameters)
	for k, v := range c.opts.Parameters {
		params[k] = v
	}
	dcs := map[string]any{
		"ttl":                     c.opts.TTL,
		"loop_wait":               c.opts.LoopWait,
		"retry_timeout":           c.opts.RetryTimeout,
		"maximum_lag_on_failover": 1 << 20,
		"postgresql": map[string]any{
			"use_slots":     true,
			"use_pg_rewind": true,
			"parameters":    params,
		},
	}
	mergeConfig(dcs, c.opts.DynamicConfig)
	return dcs
}

// mergeConfig merges src into dst the way PATCH /config does: nested maps
// are merged, anything else (lists too) replaces, and a nil removes.
func mergeConfig(dst, src map[string]any) {
	for k, v := range src {
		sub, isMap := v.(map[string]any)
		old, wasMap := dst[k].(map[string]any)
		switch {
		case v == nil:
			delete(dst, k)
		case isMap && wasMap:
			mergeConfig(old, sub)
		default:
			dst[k] = v
		}
	}
}

func (c *PatroniCluster) postgresqlConfig(n *patroniNode) map[string]any {
	addr := n.member.PGAddr()
	return map[string]any{
		"listen":          addr,
		"connect_address": addr,
		"data_dir":        n.member.DataDir,
		"bin_dir":         c.binDir,
		"pgpass":          filepath.Join(n.dir, "pgpass"),
		"authentication": map[string]any{
			"superuser":   map[string]any{"username": PatroniSuperuser, "password": PatroniSuperuserPassword},
			"replication": map[string]any{"username": PatroniReplicationUser, "password": PatroniReplicationPassword},
		},
		"parameters": patroniLocalParameters(n.dir),
		"pg_hba":     patroniHBA,
	}
}

func raftConfig(dataDir, self string, partners []string) map[string]any {
	return map[string]any{"data_dir": dataDir, "self_addr": self, "partner_addrs": partners}
}

// patroniLogConfig keeps Patroni's log on stderr (our log file) at INFO,
// which includes "Dropped unknown replication slot". The logger's name
// marks the end of each HA loop (patroni_loop.go).
func patroniLogConfig() map[string]any {
	return map[string]any{"level": "INFO", "format": "%(asctime)s %(levelname)s [%(name)s]: %(message)s"}
}

// others returns addrs without the i-th.
func others(addrs []string, i int) []string {
	return slices.Delete(slices.Clone(addrs), i, i+1)
}

// writePatroniConfig writes a 0600 file (it holds passwords) for the
// server user.
func writePatroniConfig(path string, cfg map[string]any) error {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return writeServerFile(path, string(data)+"\n")
}
