package pgtest

import (
	"net"
	"testing"
)

// No port is handed out twice in a process, even when the kernel offers
// one again after it was closed.
func TestListenFreshNeverRepeatsAPort(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		l, err := listenFresh()
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close() // free for the kernel to offer again
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
	}
	if takePort(firstKey(seen)) {
		t.Fatal("a port handed out before was taken again")
	}
}

func firstKey(m map[int]bool) int {
	for k := range m {
		return k
	}
	return 0
}
