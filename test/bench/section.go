package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
)

// spliceSection replaces the section that starts with heading in the
// Markdown file at path (up to the next "## " heading), or appends it; the
// rest of the file is kept. Scenarios that can run alone (-only) write
// through it, so refreshing one section leaves the others' figures alone.
func spliceSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = []byte("# Benchmarks\n"), nil
	}
	if err != nil {
		return err
	}
	text := string(old)
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		return os.WriteFile(path, []byte(strings.TrimRight(text, "\n")+"\n\n"+section), 0o644)
	}
	start++
	rest := ""
	if i := strings.Index(text[start+len(heading):], "\n## "); i >= 0 {
		rest = "\n" + text[start+len(heading)+i+1:]
	}
	return os.WriteFile(path, []byte(text[:start]+section+rest), 0o644)
}

// machine describes where the figures were taken: CPU, cores, memory, Go.
func machine() string {
	return fmt.Sprintf("%s, %d CPUs, %s; %s", cpuModel(), runtime.NumCPU(), memTotal(), runtime.Version())
}
