package pgtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Debian bookworm's pysyncobj 0.3.11 has a race in which a Raft node gets
// the answer to a command it forwarded after it had already applied that
// log entry; `assert idx > self.__raftLastApplied` then fails inside
// Patroni's Raft tick thread, which dies. The Patroni process lives on
// without a DCS: retry_timeout later it logs "Error communicating with DCS"
// and, on the leader, demotes PostgreSQL. Here it struck about once in 30
// Patroni restarts, right after the restart. pysyncobj 0.3.13 logs such
// exceptions and goes on (PySyncObj #190), and PySyncObj #194 fixes the race.
//
// So that tests see Patroni's behaviour rather than this bug, a watchdog
// restarts a Patroni whose Raft thread died, before it demotes anything,
// and records it (Incidents).
const raftThreadDied = "in _autoTickThread"

const watchdogInterval = 100 * time.Millisecond

// PatroniIncident is something the rig did behind the test's back.
type PatroniIncident struct {
	Member string
	At     time.Time
	What   string
}

type patroniWatchdog struct {
	cancel    context.CancelFunc
	done      chan struct{}
	mu        sync.Mutex
	incidents []PatroniIncident
}

func (c *PatroniCluster) startWatchdog() {
	ctx, cancel := context.WithCancel(context.Background())
	c.watchdog = &patroniWatchdog{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.watchdog.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(watchdogInterval):
			}
			for _, m := range c.members {
				c.healRaftThread(m)
			}
		}
	}()
}

func (c *PatroniCluster) stopWatchdog() {
	if c.watchdog != nil {
		c.watchdog.cancel()
		<-c.watchdog.done
	}
}

// healRaftThread restarts the member's Patroni if the process running now
// logged the death of its Raft thread since the last look.
func (c *PatroniCluster) healRaftThread(n *patroniNode) {
	procMu.Lock()
	from, started, p := n.scanned, n.startOffset, n.proc
	procMu.Unlock()
	text := c.PatroniLogSince(n.member.Name, from)
	procMu.Lock()
	n.scanned = from + int64(len(text))
	procMu.Unlock()
	i := strings.Index(text, raftThreadDied)
	if i < 0 || from+int64(i) < started || p == nil || p.exited() {
		return
	}
	if _, err := n.signal(syscall.SIGKILL, patroniKillTimeout); err != nil {
		return
	}
	what := "Patroni's Raft thread died (pysyncobj 0.3.11 assertion); pgtest restarted Patroni"
	appendLine(n.logPath, "pgtest: "+what)
	if err := n.start(); err != nil {
		what += fmt.Sprintf(", which failed: %v", err)
	}
	c.watchdog.mu.Lock()
	c.watchdog.incidents = append(c.watchdog.incidents, PatroniIncident{Member: n.member.Name, At: time.Now(), What: what})
	c.watchdog.mu.Unlock()
}

// Incidents lists what the rig did on its own, such as restarting a
// Patroni whose Raft thread died; StartPatroniT logs them.
func (c *PatroniCluster) Incidents() []PatroniIncident {
	if c.watchdog == nil {
		return nil
	}
	c.watchdog.mu.Lock()
	defer c.watchdog.mu.Unlock()
	return append([]PatroniIncident(nil), c.watchdog.incidents...)
}
