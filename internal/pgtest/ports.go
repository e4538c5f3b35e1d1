package pgtest

import (
	"fmt"
	"net"
	"sync"
)

// Every server is a copy of one template, so all of them share a system
// identifier, and an operator cannot tell one test's cluster from another
// by it. A port that once served one test's server and is handed to a
// later test's server lets a PostgresServer left over from the first test
// (whose monitor still polls that address) find the second one and act on
// it: recreate its slots there, say, under the names the later test uses.
// So within a process no port is handed out twice.

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// maxPortTries bounds the search for a port not given before; the kernel
// picks from tens of thousands, so more than a few misses in a row mean
// something else is wrong.
const maxPortTries = 50

// listenFresh listens on a loopback port that this process has not been
// given before, and records it as given. Ports refused on the way are held
// until the search ends, so the kernel cannot offer them again meanwhile.
func listenFresh() (net.Listener, error) {
	var refused []net.Listener
	defer func() {
		for _, l := range refused {
			_ = l.Close()
		}
	}()
	for range maxPortTries {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pgtest: finding a free port: %w", err)
		}
		if takePort(l.Addr().(*net.TCPAddr).Port) {
			return l, nil
		}
		refused = append(refused, l)
	}
	return nil, fmt.Errorf("pgtest: no port not used before in %d tries", maxPortTries)
}

// takePort records port as given and reports whether it was new.
func takePort(port int) bool {
	portsMu.Lock()
	defer portsMu.Unlock()
	if portsGiven[port] {
		return false
	}
	portsGiven[port] = true
	return true
}
