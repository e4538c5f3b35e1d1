package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Who used the CPUs while a batch ran: the operator's share alone cannot
// say whether the machine was saturated. Each process's CPU is read from
// /proc/<pid>/stat; children a process has reaped (PostgreSQL's backends,
// reaped by the postmaster) count in its cutime and cstime, so a backend
// that came and went is still counted.

// cpuGroups are the processes the report names; the rest of the machine is
// "other" (this benchmark, other users of the machine).
var cpuGroups = []string{"kube-apiserver", "etcd", "postgres"}

// cpuSample is the CPU time used so far per group, and by the whole
// machine (all CPUs, busy time) from /proc/stat.
type cpuSample struct {
	groups  map[string]time.Duration
	machine time.Duration
}

func sampleCPU() cpuSample {
	s := cpuSample{groups: map[string]time.Duration{}, machine: machineBusy()}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, used, ok := procTimes(d)
		if !ok {
			continue
		}
		for _, g := range cpuGroups {
			if comm == g {
				s.groups[g] += used
			}
		}
	}
	return s
}

// sub is the CPU used between two samples.
func (s cpuSample) sub(before cpuSample) cpuSample {
	out := cpuSample{groups: map[string]time.Duration{}, machine: s.machine - before.machine}
	for g, v := range s.groups {
		if d := v - before.groups[g]; d > 0 {
			out.groups[g] = d
		}
	}
	return out
}

// procTimes is a process's command name and the CPU it and its reaped
// children used.
func procTimes(dir string) (string, time.Duration, bool) {
	comm, f, ok := readStat(dir)
	if !ok || len(f) < 15 {
		return "", 0, false
	}
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	return comm, time.Duration(ticks) * (time.Second / 100), true
}

// readStat reads /proc/<pid>/stat in dir: "pid (comm) state ppid ...",
// where comm may hold spaces and parentheses. fields starts at state.
func readStat(dir string) (comm string, fields []string, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return "", nil, false // gone meanwhile
	}
	stat := string(data)
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return "", nil, false
	}
	return stat[open+1 : end], strings.Fields(stat[end+1:]), true
}

// machineBusy is the busy time of all CPUs so far (everything but idle and
// iowait), from the first line of /proc/stat.
func machineBusy() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	var ticks int64
	// user nice system idle iowait irq softirq steal guest guest_nice;
	// guest time is already inside user and nice.
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		if i < len(f) {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * (time.Second / 100)
}

// cpuLine says who used the CPUs over a span: the operator (op), the
// named groups, and the machine as a whole.
func cpuLine(op time.Duration, m cpuSample) string {
	s := fmt.Sprintf("operator %.1f s", op.Seconds())
	for _, g := range cpuGroups {
		s += fmt.Sprintf(", %s %.1f s", g, m.groups[g].Seconds())
	}
	return s + fmt.Sprintf(", machine %.1f s", m.machine.Seconds())
}
