package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

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
