package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// -scale-pin gives kube-apiserver and etcd CPU 0 and everything else (this
// benchmark, PostgreSQL, the operator) CPU 1, as on a cluster whose control
// plane has CPUs of its own. The floor is then what kube-apiserver does on
// its one CPU, and a batch's ratio to it says how much API work the
// operator adds, rather than how much of the shared machine it takes.
// Processes inherit the affinity of the one that starts them: this process
// pins itself before anything starts, and kube-apiserver and etcd are moved
// once envtest has started them. taskset -a moves every thread; threads
// made later inherit from the thread that makes them.

const (
	controlPlaneCore = "0"
	workloadCore     = "1"
)

// pinSelf moves this process (every thread) to the workload CPU.
func pinSelf() error {
	return taskset(workloadCore, os.Getpid())
}

// pinControlPlane moves this process's kube-apiserver and etcd children to
// the control plane's CPU.
func pinControlPlane() error {
	pids, err := childrenNamed(os.Getpid(), "kube-apiserver", "etcd")
	if err != nil {
		return err
	}
	if len(pids) != 2 {
		return fmt.Errorf("-scale-pin: found %d of kube-apiserver and etcd among this process's children", len(pids))
	}
	for _, pid := range pids {
		if err := taskset(controlPlaneCore, pid); err != nil {
			return err
		}
	}
	return nil
}

func taskset(cpu string, pid int) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpu, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s %d: %v: %s", cpu, pid, err, out)
	}
	return nil
}

// childrenNamed lists the pids of parent's children whose command is one
// of names.
func childrenNamed(parent int, names ...string) ([]int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, dir := range dirs {
		name, f, ok := readStat(dir)
		if !ok || len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		for _, n := range names {
			if name == n {
				pid, _ := strconv.Atoi(filepath.Base(dir))
				out = append(out, pid)
			}
		}
	}
	return out, nil
}
