package pgtest

import (
	"net"
	"strconv"
	"sync"
	"time"
)

// Proxy is a TCP forwarder on 127.0.0.1 that stands for a Service name in
// front of PostgreSQL: tests repoint it to another server, as a Service's
// endpoints change after a failover, or cut its connections. Fault tests
// also slow it down (SetDelay) or black-hole it (Blackhole).
type Proxy struct {
	ln net.Listener

	mu     sync.Mutex
	target string
	conns  map[net.Conn]struct{}
	// delay is what every forwarded chunk waits (SetDelay).
	delay time.Duration
	// flowing is closed while data flows; while black-holed it is an open
	// channel that Blackhole(false) closes, waking every held transfer.
	flowing chan struct{}
	// closed is closed by Close, so nothing waits for a heal that never comes.
	closed    chan struct{}
	closeOnce sync.Once
	// clients are the accepted client connections not yet finished.
	clients map[net.Conn]struct{}
}

// StartProxy listens on a free loopback port and forwards to target.
func StartProxy(target string) (*Proxy, error) {
	ln, err := listenFresh()
	if err != nil {
		return nil, err
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, clients: map[net.Conn]struct{}{}, flowing: flowing, closed: make(chan struct{})}
	go p.accept()
	return p, nil
}

// Host and Port are the proxy's address, to use as a server's endpoint.
func (p *Proxy) Host() string { return "127.0.0.1" }

// Port is the proxy's listening port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Addr is "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return net.JoinHostPort(p.Host(), strconv.Itoa(p.Port())) }

// Repoint sends new connections to target and cuts the existing ones.
func (p *Proxy) Repoint(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
	p.CutAll()
}

// CutAll closes every forwarded connection.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

// Close stops listening and cuts every connection.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.closeOnce.Do(func() { close(p.closed) })
	p.CutAll()
}

// SetDelay makes every chunk forwarded from then on, in both directions,
// wait d before it is written: a slow network (each PostgreSQL round trip
// costs 2d), unlike a cut one, keeps connections open and makes timeouts,
// not errors, the client's problem. 0 turns the delay off. Chunks already
// waiting keep the delay they started with.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = max(d, 0)
}

// Blackhole(true) stops all forwarding without closing anything: open
// connections stay established but no byte passes in either direction
// (nothing more is read, and a chunk already read is held), and new
// connections are accepted but not connected to the target. Neither side
// sees a FIN or an RST, as when a firewall starts dropping packets or a
// host vanishes: only the client's own timeouts can end its waits.
// Blackhole(false) heals it: held bytes and connections go through, as TCP
// retransmission would deliver them after a transient black hole.
func (p *Proxy) Blackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing: // flowing now
		if on {
			p.flowing = make(chan struct{})
		}
	default: // black-holed now
		if !on {
			close(p.flowing)
		}
	}
}

// Clients is the number of client connections that the client still holds
// open, including those held by Blackhole: to check that a client does not
// pile up connections while the network misbehaves. A connection the client
// has closed does not count, even while a black hole keeps the proxy from
// finishing it: a firewall that drops packets would leave the server with
// such a connection, but the client no longer has it.
func (p *Proxy) Clients() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.clients {
		if !peerClosed(c) {
			n++
		}
	}
	return n
}
