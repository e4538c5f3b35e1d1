package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Raft with pysyncobj 0.3.11 recovers slowly from a node's restart: a
// lost connection is retried every 5 s (layout puts the witness where that
// does not hurt), and a restarted Patroni runs its first HA loop on its
// local journal, before it has caught up with the Raft leader. Killing a
// second node in that window leaves the DCS without a quorum (Patroni then
// demotes the leader retry_timeout later), and killing a node whose journal
// lags replays an old configuration at its next start (a fresh ignore_slots
// missing, say). Tests mean to exercise Patroni's slot handling, not these,
// so the rig waits for a healthy, caught-up Raft before it kills a Patroni
// and after it starts one.

// raftStatus is what `syncobj_admin -status` reports about one Raft node.
type raftStatus struct {
	leader      string
	quorum      bool
	commitIdx   int64
	lastApplied int64
	partners    map[string]bool // address -> connected
}

func queryRaftStatus(ctx context.Context, addr string) (raftStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "syncobj_admin", "-conn", addr, "-status").Output()
	if err != nil {
		return raftStatus{}, fmt.Errorf("syncobj_admin -conn %s -status: %w", addr, err)
	}
	st := raftStatus{partners: map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			continue
		}
		switch {
		case k == "leader":
			st.leader = v
		case k == "has_quorum":
			st.quorum = v == "True"
		case k == "commit_idx":
			st.commitIdx, _ = strconv.ParseInt(v, 10, 64)
		case k == "last_applied":
			st.lastApplied, _ = strconv.ParseInt(v, 10, 64)
		case strings.HasPrefix(k, "partner_node_status_server_"):
			st.partners[strings.TrimPrefix(k, "partner_node_status_server_")] = v == "2"
		}
	}
	if st.leader == "" {
		return st, fmt.Errorf("syncobj_admin -conn %s: unexpected answer %q", addr, out)
	}
	return st, nil
}

// WaitRaft waits until the Raft nodes of the running processes (each
// member's Patroni and the witness) agree on a leader that has a quorum, are
// connected to the witness, and have applied all the leader had committed
// when it was asked, so that each one's journal holds the current DCS.
func (c *PatroniCluster) WaitRaft(ctx context.Context) error {
	return c.poll(ctx, "a healthy Raft", func() (bool, error) {
		nodes := c.runningNodes()
		statuses, err := queryRaftStatuses(ctx, nodes)
		if err != nil {
			return false, err
		}
		leader, err := raftConnected(statuses, c.witness.raftAddr)
		if err != nil {
			return false, err
		}
		// Ask the leader first, then the others: each must have applied
		// what the leader had committed by then.
		lead, err := queryRaftStatus(ctx, leader)
		if err != nil {
			return false, err
		}
		if statuses, err = queryRaftStatuses(ctx, nodes); err != nil {
			return false, err
		}
		for addr, st := range statuses {
			if addr != leader && st.lastApplied < lead.commitIdx {
				return false, fmt.Errorf("raft node %s applied %d of %d", addr, st.lastApplied, lead.commitIdx)
			}
		}
		return true, nil
	})
}

// queryRaftStatuses asks every node at once.
func queryRaftStatuses(ctx context.Context, nodes []*patroniNode) (map[string]raftStatus, error) {
	type answer struct {
		addr string
		st   raftStatus
		err  error
	}
	answers := make(chan answer, len(nodes))
	for _, n := range nodes {
		go func() {
			st, err := queryRaftStatus(ctx, n.raftAddr)
			answers <- answer{n.raftAddr, st, err}
		}()
	}
	statuses := make(map[string]raftStatus, len(nodes))
	var errs []error
	for range nodes {
		a := <-answers
		statuses[a.addr] = a.st
		errs = append(errs, a.err)
	}
	return statuses, errors.Join(errs...)
}

// raftConnected returns the leader every node agrees on, if it is one of
// them, has a quorum, and every node is connected to the witness: then any
// one member may go and the other still forms a quorum with the witness.
func raftConnected(statuses map[string]raftStatus, witness string) (string, error) {
	var leader string
	for _, st := range statuses {
		if leader == "" {
			leader = st.leader
		}
		if st.leader != leader || !st.quorum {
			return "", fmt.Errorf("raft nodes disagree on the leader or lack a quorum: %+v", statuses)
		}
	}
	if _, ok := statuses[leader]; !ok {
		return "", fmt.Errorf("raft leader %s is not one of the running nodes", leader)
	}
	for addr, st := range statuses {
		for peer := range statuses {
			if peer != addr && (peer == witness || addr == witness) && !st.partners[peer] {
				return "", fmt.Errorf("raft node %s is not connected to %s", addr, peer)
			}
		}
	}
	return leader, nil
}

// runningNodes are the witness and the members whose Patroni runs.
func (c *PatroniCluster) runningNodes() []*patroniNode {
	var out []*patroniNode
	for _, n := range append([]*patroniNode{c.witness}, c.members...) {
		if n.running() {
			out = append(out, n)
		}
	}
	return out
}
