package pgtest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A real Patroni cluster for tests: Debian's Patroni (3.0.2 on bookworm,
// installed by `make patroni`) with its built-in Raft DCS (pysyncobj), N
// PostgreSQL members that Patroni bootstraps itself (initdb on member 0,
// pg_basebackup for the others) and a witness running
// patroni_raft_controller, so that Raft keeps a quorum of 3 with 2 members.
//
// Everything lives in one directory under workRoot() (never in the
// checkout, which CI keeps under a 0700 directory) and every process runs as
// the server user (runas.go) on free ports of 127.0.0.1.
//
// Patroni starts its postmasters with setsid, so they are not our children:
// Stop finds them through postmaster.pid, and a test process that dies
// leaves them to the next one's sweep (patroni_sweep.go).

// PatroniOptions describe a Patroni cluster to start. Zero values mean the
// defaults of Patroni and of the rig.
type PatroniOptions struct {
	Scope        string // Patroni's scope (cluster name); default "slotkeeper"
	Members      int    // PostgreSQL members; default 2
	Major        int    // PostgreSQL major; default 15 (needs pg_basebackup in its bin dir)
	TTL          int    // seconds; default 30
	LoopWait     int    // seconds; default 10
	RetryTimeout int    // seconds; default 10
	// RESTUsername/RESTPassword set restapi.authentication: Patroni then
	// requires basic auth for its writing endpoints (PATCH /config,
	// POST /switchover...). Leave empty for an open REST API.
	RESTUsername, RESTPassword string
	// DynamicConfig is merged over the bootstrap dynamic configuration
	// (bootstrap.dcs) as PATCH /config would merge it, e.g.
	// {"ignore_slots": []any{map[string]any{"name": "s", "type": "logical"}}}.
	DynamicConfig map[string]any
	// Parameters are extra PostgreSQL settings for the dynamic configuration.
	Parameters map[string]string
}

func (o *PatroniOptions) defaults() {
	if o.Scope == "" {
		o.Scope = "slotkeeper"
	}
	if o.Members == 0 {
		o.Members = 2
	}
	if o.Major == 0 {
		o.Major = 15
	}
	if o.TTL == 0 {
		o.TTL = 30
	}
	if o.LoopWait == 0 {
		o.LoopWait = 10
	}
	if o.RetryTimeout == 0 {
		o.RetryTimeout = 10
	}
}

// Passwords of the roles Patroni creates at bootstrap. Fixed: the servers
// listen on 127.0.0.1 only and live as long as a test.
const (
	PatroniSuperuser           = "postgres"
	PatroniSuperuserPassword   = "patroni-super"
	PatroniReplicationUser     = "replicator"
	PatroniReplicationPassword = "patroni-repl"
)

// PatroniMember is one PostgreSQL member and its Patroni.
type PatroniMember struct {
	Name    string // Patroni member name; also its physical slot name on the leader
	PGHost  string // always 127.0.0.1
	PGPort  int
	RESTURL string // e.g. http://127.0.0.1:8008
	DataDir string
}

// PGAddr returns "127.0.0.1:PORT".
func (m PatroniMember) PGAddr() string { return net.JoinHostPort(m.PGHost, strconv.Itoa(m.PGPort)) }

// PatroniCluster is a running Patroni cluster. Its methods are safe for
// concurrent use.
type PatroniCluster struct {
	Scope string

	opts     PatroniOptions
	baseDir  string
	binDir   string
	members  []*patroniNode
	witness  *patroniNode
	http     *patroniClient
	watchdog *patroniWatchdog

	stopOnce  sync.Once
	finalLogs atomic.Pointer[string] // Logs() as Stop found them, before removing the files
}

// StartPatroni starts the witness, then member 0, which bootstraps the
// cluster with initdb, then the other members, which clone it with
// pg_basebackup; it returns once every replica streams from the leader and
// no member has a re-read of its slot list pending (see Settle).
func StartPatroni(ctx context.Context, opts PatroniOptions) (*PatroniCluster, error) {
	opts.defaults()
	if opts.Members < 1 {
		return nil, fmt.Errorf("pgtest: a Patroni cluster needs a member, not %d", opts.Members)
	}
	c, err := newPatroniCluster(opts)
	if err != nil {
		return nil, err
	}
	registerPatroni(c)
	c.startWatchdog()
	if err := c.bootstrap(ctx); err != nil {
		err = fmt.Errorf("%w\n%s", err, c.Logs())
		c.Stop()
		return nil, err
	}
	return c, nil
}

// StartPatroniT is StartPatroni for tests: stopped when the test ends (with
// every log in the test output if it failed), fatal on error.
func StartPatroniT(t testing.TB, opts PatroniOptions) *PatroniCluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	c, err := StartPatroni(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		for _, inc := range c.Incidents() {
			t.Logf("pgtest: Patroni cluster %s: %s: %s: %s", c.Scope, inc.At.Format("15:04:05.000"), inc.Member, inc.What)
		}
		if t.Failed() {
			t.Logf("pgtest: Patroni cluster %s:\n%s", c.Scope, c.Logs())
		}
	})
	return c
}

func (c *PatroniCluster) bootstrap(ctx context.Context) error {
	if err := c.witness.start(); err != nil {
		return err
	}
	if err := c.members[0].start(); err != nil {
		return err
	}
	if _, err := c.WaitLeader(ctx); err != nil {
		return err
	}
	for _, m := range c.members[1:] {
		if err := m.start(); err != nil {
			return err
		}
	}
	if err := c.WaitStreaming(ctx); err != nil {
		return err
	}
	// The leader created a slot for each replica: its next loop re-reads
	// the slot list and would drop any slot a test made in between.
	if err := c.Settle(ctx); err != nil {
		return err
	}
	return c.WaitRaft(ctx)
}
