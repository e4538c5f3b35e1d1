package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"
)

// Table is a kubectl-style table: upper-case headers, columns padded with
// kubectl's own tabwriter settings. Each row carries a level for colour.
type Table struct {
	Headers []string
	rows    [][]string
	levels  []Level
}

// Add appends a row; cells must not hold tabs or newlines.
func (t *Table) Add(l Level, cells ...string) {
	t.rows = append(t.rows, cells)
	t.levels = append(t.levels, l)
}

// Len is the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// Write aligns the table first and colours whole lines afterwards: escape
// codes inside cells would count as width and break the alignment.
func (t *Table) Write(w io.Writer, color bool) error {
	var buf bytes.Buffer
	tw := printers.GetNewTabWriter(&buf)
	fmt.Fprintln(tw, strings.Join(t.Headers, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(clean(r), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, line := range lines {
		if color && i > 0 && i <= len(t.levels) {
			line = paint(t.levels[i-1], line)
		}
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

// clean keeps free text from status messages from breaking the layout.
func clean(cells []string) []string {
	out := make([]string, len(cells))
	r := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	for i, c := range cells {
		out[i] = r.Replace(c)
	}
	return out
}

// ANSI colours by level; ok and info stay plain so that colour means
// "look here".
var levelColors = map[Level]string{LevelWarning: "\x1b[33m", LevelCritical: "\x1b[31m"}

// paint colours a line, keeping its newline outside the escape codes.
func paint(l Level, line string) string {
	code, ok := levelColors[l]
	if !ok {
		return line
	}
	body := strings.TrimSuffix(line, "\n")
	return code + body + "\x1b[0m" + line[len(body):]
}
