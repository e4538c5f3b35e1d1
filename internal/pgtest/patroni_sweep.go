package pgtest

import (
	"path/filepath"
	"slices"
	"sync"
	"syscall"
)

// patroniDirPrefix names cluster directories under workRoot(). It must not
// start with "pgtest-": sweepAbandoned would remove such a directory without
// killing its postmasters, which Patroni detached from the test process.
const patroniDirPrefix = "slotkeeper-patroni-"

var (
	sweepPatroniOnce sync.Once

	patroniMu       sync.Mutex
	patroniClusters []*PatroniCluster
)

func registerPatroni(c *PatroniCluster) {
	patroniMu.Lock()
	defer patroniMu.Unlock()
	patroniClusters = append(patroniClusters, c)
}

func unregisterPatroni(c *PatroniCluster) {
	patroniMu.Lock()
	defer patroniMu.Unlock()
	patroniClusters = slices.DeleteFunc(patroniClusters, func(r *PatroniCluster) bool { return r == c })
}

// StopAllPatroni stops every Patroni cluster not yet stopped: the Patroni
// counterpart of CleanupAll, for an AfterSuite or a signal handler.
func StopAllPatroni() {
	patroniMu.Lock()
	all := slices.Clone(patroniClusters)
	patroniMu.Unlock()
	for _, c := range all {
		c.Stop()
	}
}

// sweepAbandonedPatroni removes the directories of clusters whose test
// process died. Their Patroni and raft controller died with it (Pdeathsig),
// but the postmasters did not: Patroni starts them in sessions of their own.
// So the sweep kills whatever still serves a data directory in there first.
func sweepAbandonedPatroni() {
	for _, base := range abandonedBases(patroniDirPrefix + "*") {
		dataDirs, _ := filepath.Glob(filepath.Join(base, "*", "data"))
		for _, dataDir := range dataDirs {
			for _, pm := range PostmasterPIDs(dataDir) {
				_ = syscall.Kill(pm, syscall.SIGKILL)
			}
			killStalePostmaster(dataDir) // waits for the kill to land
			releaseSysV(dataDir)
		}
		removeAllRetry(base)
	}
}
