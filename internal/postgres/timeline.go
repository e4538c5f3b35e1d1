package postgres

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// TimelineSwitch reads where timeline `from` ended in the history of the
// server's timeline `current`: the position at which a promotion forked
// the next timeline off it. WAL on `from` past that point never reached
// the server. It asks TIMELINE_HISTORY over a replication connection,
// which needs the REPLICATION attribute only (reading the history file
// itself needs superuser or pg_read_server_files). found is false when
// `from` is not an ancestor of `current` on this server.
func TimelineSwitch(ctx context.Context, cfg ConnConfig, current, from int64) (at LSN, found bool, err error) {
	if current <= 1 || from < 1 || from >= current {
		return 0, false, nil
	}
	conn, err := connectWalsender(ctx, cfg)
	if err != nil {
		return 0, false, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	// Replication commands take no parameters; the timeline is a number
	// formatted here.
	res, err := conn.Exec(ctx, "TIMELINE_HISTORY "+strconv.FormatInt(current, 10)).ReadAll()
	if err != nil {
		return 0, false, Classify(err)
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) != 2 {
		return 0, false, fmt.Errorf("TIMELINE_HISTORY %d: unexpected result", current)
	}
	return SwitchPoint(res[0].Rows[0][1], from)
}

// SwitchPoint finds timeline `from`'s switch point in the content of a
// timeline history file: one line per ancestor, "parent TLI, tab, switch
// point, tab, reason", with comment and blank lines allowed.
func SwitchPoint(history []byte, from int64) (LSN, bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(history))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		tli, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || tli != from {
			continue
		}
		at, err := ParseLSN(fields[1])
		if err != nil {
			return 0, false, fmt.Errorf("timeline history: %w", err)
		}
		return at, true, nil
	}
	return 0, false, sc.Err()
}
