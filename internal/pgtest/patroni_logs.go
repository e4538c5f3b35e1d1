package pgtest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Logs returns the tail of every log of the cluster (Patroni, PostgreSQL,
// the witness), for failure messages.
func (c *PatroniCluster) Logs() string {
	if final := c.finalLogs.Load(); final != nil {
		return *final
	}
	var b strings.Builder
	for _, n := range append(append([]*patroniNode{}, c.members...), c.witness) {
		if n != nil {
			b.WriteString(n.logs())
		}
	}
	return b.String()
}

// PatroniLog returns the tail of the member's Patroni log.
func (c *PatroniCluster) PatroniLog(member string) string {
	n, err := c.node(member)
	if err != nil {
		return err.Error()
	}
	s, _ := readTail(n.logPath, logTailBytes)
	return s
}

// PatroniLogOffset is where the member's Patroni log ends now; with
// PatroniLogSince a test reads only what Patroni logged after a point.
func (c *PatroniCluster) PatroniLogOffset(member string) int64 {
	n, err := c.node(member)
	if err != nil {
		return 0
	}
	fi, err := os.Stat(n.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// PatroniLogSince returns what the member's Patroni logged after offset
// (at most 1 MiB).
func (c *PatroniCluster) PatroniLogSince(member string, offset int64) string {
	n, err := c.node(member)
	if err != nil {
		return err.Error()
	}
	return readFrom(n.logPath, offset)
}

// logs returns the tails of the node's logs under headers.
func (n *patroniNode) logs() string {
	var b strings.Builder
	for _, path := range []string{n.logPath, n.pgLogPath} {
		if path == "" {
			continue
		}
		tail, err := readTail(path, logTailBytes)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		fmt.Fprintf(&b, "--- tail of %s ---\n%s\n", path, strings.TrimRight(tail, "\n"))
	}
	return b.String()
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", time.Now().Format("2006-01-02 15:04:05.000"), line)
}
