package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// writeStatements lists every statement of the operator's role with its
// calls in both windows.
func writeStatements(b *strings.Builder, r scaleResult) {
	s, l := r.Small, r.Large
	fmt.Fprintf(b, "\nThe operator's statements in each window (pg_stat_statements: calls, mean execution time). The monitor waits `pollInterval` after each poll has finished, so a window holds fewer polls than window / interval when polls take long:\n\n| %d slots: calls | mean | %s slots: calls | mean | statement |\n|---|---|---|---|---|\n", s.Slots, count(l.Slots))
	calls := map[string][2]int64{}
	means := map[string][2]float64{}
	var order []string
	for i, w := range []steadyResult{s, l} {
		for _, st := range w.Statements {
			c, seen := calls[st.Query]
			if !seen {
				order = append(order, st.Query)
			}
			c[i] += st.Calls
			calls[st.Query] = c
			m := means[st.Query]
			m[i] = st.Mean
			means[st.Query] = m
		}
	}
	for _, q := range order {
		fmt.Fprintf(b, "| %d | %.2f ms | %d | %.2f ms | `%s` |\n", calls[q][0], means[q][0], calls[q][1], means[q][1], strings.ReplaceAll(shorten(q, 160), "|", "\\|"))
	}
	if len(order) == 0 {
		b.WriteString("| 0 | — | 0 | — | — |\n")
	}
}

// writeWrites tables the write requests kube-apiserver served, one column
// per set (a batch or a window).
func writeWrites(b *strings.Builder, columns []string, sets ...[]apiWrite) {
	fmt.Fprintf(b, "| group | resource | subresource | verb | code | %s |\n|---|---|---|---|---|%s\n",
		strings.Join(columns, " | "), strings.Repeat("---|", len(columns)))
	rows := map[string][]float64{}
	meta := map[string]apiWrite{}
	var order []string
	for i, set := range sets {
		for _, x := range set {
			if _, seen := meta[x.key()]; !seen {
				order = append(order, x.key())
				meta[x.key()], rows[x.key()] = x, make([]float64, len(sets))
			}
			rows[x.key()][i] += x.Count
		}
	}
	slices.Sort(order)
	for _, k := range order {
		x := meta[k]
		var cells []string
		for _, n := range rows[k] {
			cells = append(cells, fmt.Sprintf("%.0f", n))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", orDash(x.Group), x.Resource, orDash(x.Subresource), x.Verb, x.Code, strings.Join(cells, " | "))
	}
	if len(order) == 0 {
		fmt.Fprintf(b, "| — | — | — | — | — |%s\n", strings.Repeat(" 0 |", len(columns)))
	}
}

// writeChanges says what the writes changed: status paths that differ
// between the window's start and end, and in how many objects.
func writeChanges(b *strings.Builder, r scaleResult) {
	for _, w := range []steadyResult{r.Small, r.Large} {
		var paths []string
		for _, p := range slices.Sorted(maps.Keys(w.Changes.Paths)) {
			paths = append(paths, fmt.Sprintf("`%s` (%d)", p, w.Changes.Paths[p]))
		}
		fmt.Fprintf(b, "\nStatus that differs between the start and the end of the %s-slot window (every object read at both ends): %d objects; %s.",
			count(w.Slots), w.Changes.Objects, orDash(strings.Join(paths, ", ")))
		n := total(operatorWrites(w.Writes))
		switch {
		case n > 0 && !w.walMoved():
			fmt.Fprintf(b, " PostgreSQL wrote no WAL in the settle period or the window, so none of the figures the operator reads moved: its %.0f writes (%.1f/s) carry values that changed before the settle period and were still unwritten after it.", n, n/w.Window.Seconds())
		case n > 0:
			fmt.Fprintf(b, " PostgreSQL wrote %d bytes of WAL in the settle period and %d in the window (the operator's own statements in the window are listed above; with autovacuum on, the server is never perfectly still), which moves the retained WAL of every slot: %.0f writes for %d slots in %s is %.1f per slot, against the design's bound of one per slot per 30 s. At that bound, a server whose WAL always moves costs %.0f status writes a minute with %s slots (not measured here).",
				w.SettleWAL, w.WALBytes, n, w.Slots, w.Window, n/float64(w.Slots), 2*float64(r.Opts.slots)*60/30, count(2*r.Opts.slots))
		}
		b.WriteString("\n")
	}
}

// writeConnections says which backends the operator held at the maximum.
func writeConnections(b *strings.Builder, r scaleResult) {
	fmt.Fprintf(b, "\nThe operator's backends when the most were seen: %d slots: %s; %s slots: %s.\n",
		r.Small.Slots, orDash(strings.Join(r.Small.ConnsAtMax, ", ")), count(r.Large.Slots), orDash(strings.Join(r.Large.ConnsAtMax, ", ")))
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + " …"
}
