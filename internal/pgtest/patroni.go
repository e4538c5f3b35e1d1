package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// patroniBinaries are what the rig runs (syncobj_admin by name, in
// patroni_raft.go); `make patroni` installs them.
func patroniBinaries() (patroni, controller string, err error) {
	patroni, err1 := exec.LookPath("patroni")
	controller, err2 := exec.LookPath("patroni_raft_controller")
	_, err3 := exec.LookPath("syncobj_admin")
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", "", fmt.Errorf("pgtest: Patroni is not installed (%v): run `make patroni` (hack/install-patroni.sh)", err)
	}
	return patroni, controller, nil
}

// newPatroniCluster lays out the directories, ports and configuration files.
func newPatroniCluster(opts PatroniOptions) (*PatroniCluster, error) {
	patroni, controller, err := patroniBinaries()
	if err != nil {
		return nil, err
	}
	binDir, err := patroniBinDir(opts.Major)
	if err != nil {
		return nil, err
	}
	sweepPatroniOnce.Do(sweepAbandonedPatroni)
	base, err := makePatroniBase(opts.Scope)
	if err != nil {
		return nil, err
	}
	c := &PatroniCluster{Scope: opts.Scope, opts: opts, baseDir: base, binDir: binDir,
		http: newPatroniClient(opts.RESTUsername, opts.RESTPassword)}
	if err := c.layout(patroni, controller); err != nil {
		removeAllRetry(base)
		return nil, err
	}
	return c, nil
}

// patroniBinDir needs pg_basebackup besides postgres: Patroni clones its
// replicas with it (the npm builds of 16-18 lack it).
func patroniBinDir(major int) (string, error) {
	binDir, err := BinDir(major)
	if err != nil {
		return "", err
	}
	if !isExecutable(filepath.Join(binDir, "pg_basebackup")) {
		return "", fmt.Errorf("pgtest: %s has no pg_basebackup, which Patroni needs to create replicas; use PostgreSQL 15 (Debian)", binDir)
	}
	return binDir, currentServerUser().checkTraversable(binDir)
}

// makePatroniBase creates the cluster's directory, owned by the server user
// and marked with our pid for the sweep.
func makePatroniBase(scope string) (string, error) {
	u := currentServerUser()
	if err := u.checkTraversable(workRoot()); err != nil {
		return "", err
	}
	base, err := os.MkdirTemp(workRoot(), patroniDirPrefix+dirLabel(scope)+"-")
	if err != nil {
		return "", err
	}
	if err := errors.Join(u.makeServerDir(base), writeOwner(base)); err != nil {
		os.RemoveAll(base)
		return "", err
	}
	return base, nil
}

// layout allocates every port at once (so no two collide) and writes each
// process's directory and configuration.
func (c *PatroniCluster) layout(patroni, controller string) error {
	n := c.opts.Members
	ports, err := freePorts(3*n + 1) // per member: PostgreSQL, REST, Raft; plus the witness's Raft
	if err != nil {
		return err
	}
	// pysyncobj connects from the higher address (compared as strings) to
	// the lower and retries a lost connection every 5 s: with the witness
	// lowest, a restarted member connects to it at once.
	byString := func(a, b int) int { return strings.Compare(strconv.Itoa(a), strconv.Itoa(b)) }
	lo := slices.Index(ports, slices.MinFunc(ports, byString))
	ports[lo], ports[3*n] = ports[3*n], ports[lo]
	raftAddrs := make([]string, n+1) // the witness's is last
	for i := range n {
		raftAddrs[i] = fmt.Sprintf("127.0.0.1:%d", ports[3*i+2])
	}
	raftAddrs[n] = fmt.Sprintf("127.0.0.1:%d", ports[3*n])
	for i := range n {
		m, err := c.newMember(patroni, i, ports[3*i], ports[3*i+1], raftAddrs)
		if err != nil {
			return err
		}
		c.members = append(c.members, m)
	}
	c.witness, err = c.newWitness(controller, raftAddrs)
	return err
}
