package pgtest

import (
	"slices"
	"sync"
)

// The registry is a process-wide safety net: whatever a test forgets, a
// suite's AfterSuite or the demo's signal handler can stop with CleanupAll.
var (
	registryMu sync.Mutex
	registered []*Server // in creation order
)

func register(s *Server) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registered = append(registered, s)
}

func unregister(s *Server) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registered = slices.DeleteFunc(registered, func(r *Server) bool { return r == s })
}

// CleanupAll cleans up every server not yet cleaned up, newest first so
// standbys go before their primaries.
func CleanupAll() {
	registryMu.Lock()
	all := slices.Clone(registered)
	registryMu.Unlock()
	for _, s := range slices.Backward(all) {
		s.Cleanup()
	}
}

// Servers returns the servers not yet cleaned up, in creation order.
func Servers() []*Server {
	registryMu.Lock()
	defer registryMu.Unlock()
	return slices.Clone(registered)
}
