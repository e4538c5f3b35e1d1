package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// fleetIdle is the idle window with the whole fleet declared: what the
// operator asked of PostgreSQL and kube-apiserver, and what it held.
type fleetIdle struct {
	Window, Poll time.Duration
	Settle       []apiWrite       // writes in the settle period before the window
	Writes       []apiWrite       // writes in the window
	SettleWAL    int64            // WAL all primaries wrote in the settle period
	WALBytes     int64            // ... and in the window
	Calls        map[string]int64 // statements per server role
	Statements   []fleetStatement
	Conns        connStats
	Figures      operatorFigures // RSS: the window's median
	RSSMax       int64           // KiB
	CPU          time.Duration
	Watches      map[string]float64 // kube-apiserver's WATCH requests in flight, by resource
	// Controllers are the operator's reconciles in the window: a Ready
	// slot is looked at again every 30 s (figureRefresh) even when idle.
	Controllers map[string]controllerStats
}

// fleetStatement is one statement text over all servers.
type fleetStatement struct {
	Calls   int64
	Servers int
	Query   string
}

// polls is how many polls the window held per server at its interval.
func (f fleetIdle) polls() float64 { return float64(f.Window) / float64(f.Poll) }

// idle waits out the settle period, then measures a window. The settle
// period (the scale scenario's) is longer than the operator's 30 s refresh
// of changed figures plus two polls, so what changed while the slots were
// created has been written before the window.
func (r *fleetRig) idle(ctx context.Context, window time.Duration) (fleetIdle, error) {
	res := fleetIdle{Window: window, Poll: r.poll}
	conns, err := connectAll(ctx, r.instances())
	if err != nil {
		return res, err
	}
	defer closeAll(conns)
	fmt.Printf("fleet: settling for %s\n", settle)
	r.setPhase("settle")
	if res.Settle, res.SettleWAL, err = r.span(ctx, conns, settle, nil); err != nil {
		return res, err
	}
	fmt.Printf("fleet: idle window of %s\n", window)
	if err := startWindow(ctx, conns); err != nil {
		return res, err
	}
	r.setPhase("idle")
	cpu0, ctl0 := procCPU(r.op.Pid()), scrapeControllers(ctx, r.metrics)
	waitProfile := r.profileIdle(ctx, window)
	res.Writes, res.WALBytes, err = r.span(ctx, conns, window, func() {
		r.setPhase("idle-done")
		res.CPU = procCPU(r.op.Pid()) - cpu0
		res.Controllers = subControllers(scrapeControllers(ctx, r.metrics), ctl0)
	})
	waitProfile()
	if err != nil {
		return res, err
	}
	res.Figures, res.RSSMax = r.figures(ctx, "idle"), maxKiB(r.samp.stats("idle").rss)
	res.Conns = r.conns.stats("idle")
	if res.Watches, err = r.operatorWatches(ctx); err != nil {
		return res, err
	}
	res.Calls, res.Statements, err = fleetStatements(ctx, conns)
	return res, err
}

// startWindow resets every instance's statement counts, then runs a
// CHECKPOINT on every primary, as an idle server's checkpoint_timeout
// does: its WAL moves every slot's retention and a standby's lag, which
// must not cost an API write.
func startWindow(ctx context.Context, conns []*pgx.Conn) error {
	for _, c := range conns {
		if _, err := c.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
			return err
		}
	}
	for _, c := range conns[:len(conns)-1] { // the standby writes no WAL of its own
		if _, err := c.Exec(ctx, "CHECKPOINT"); err != nil {
			return err
		}
	}
	return nil
}

// setPhase names the phase both samplers file their samples under.
func (r *fleetRig) setPhase(phase string) {
	r.samp.setPhase(phase)
	r.conns.setPhase(phase)
}

// span waits d and returns the write requests kube-apiserver served and
// the WAL the primaries wrote meanwhile; at is called right at its end.
func (r *fleetRig) span(ctx context.Context, conns []*pgx.Conn, d time.Duration, at func()) ([]apiWrite, int64, error) {
	before, err := scrapeWrites(ctx, r.cs)
	if err != nil {
		return nil, 0, err
	}
	primaries := conns[:len(conns)-1] // the standby writes no WAL of its own
	lsns := make([]string, len(primaries))
	for i, c := range primaries {
		if err := c.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsns[i]); err != nil {
			return nil, 0, err
		}
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return nil, 0, context.Cause(ctx)
	}
	if at != nil {
		at()
	}
	var wal int64
	for i, c := range primaries {
		n, err := walSince(ctx, c, lsns[i])
		if err != nil {
			return nil, 0, err
		}
		wal += n
	}
	after, err := scrapeWrites(ctx, r.cs)
	return diffWrites(before, after), wal, err
}

// fleetStatements reads pg_stat_statements of every instance for the
// servers' roles: calls per role, and per statement text (whitespace
// folded) the calls and how many servers ran it.
func fleetStatements(ctx context.Context, conns []*pgx.Conn) (map[string]int64, []fleetStatement, error) {
	calls := map[string]int64{}
	byQuery := map[string]*fleetStatement{}
	roles := map[string]map[string]bool{}
	var order []string
	for _, c := range conns {
		rows, err := c.Query(ctx, `SELECT r.rolname::text, s.calls, s.query FROM pg_stat_statements s
			JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname LIKE 'sk\_%' ORDER BY s.calls DESC, s.query`)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var role, q string
			var n int64
			if err := rows.Scan(&role, &n, &q); err != nil {
				rows.Close()
				return nil, nil, err
			}
			q = strings.Join(strings.Fields(q), " ")
			if byQuery[q] == nil {
				byQuery[q], roles[q] = &fleetStatement{Query: q}, map[string]bool{}
				order = append(order, q)
			}
			calls[role] += n
			byQuery[q].Calls += n
			roles[q][role] = true
		}
		rows.Close()
	}
	out := make([]fleetStatement, 0, len(order))
	for _, q := range order {
		st := *byQuery[q]
		st.Servers = len(roles[q])
		out = append(out, st)
	}
	slices.SortStableFunc(out, func(a, b fleetStatement) int { return cmp.Compare(b.Calls, a.Calls) })
	return calls, out, nil
}

// connectAll opens a superuser connection to each instance.
func connectAll(ctx context.Context, instances []*pgtest.Server) ([]*pgx.Conn, error) {
	var conns []*pgx.Conn
	for _, in := range instances {
		c, err := in.Connect(ctx, "postgres")
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*pgx.Conn) {
	for _, c := range conns {
		_ = c.Close(context.Background())
	}
}
