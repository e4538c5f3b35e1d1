package pgtest

import (
	"net"
	"time"
)

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *Proxy) forward(client net.Conn) {
	p.track(client)
	p.mu.Lock()
	p.clients[client] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.untrack(client)
		_ = client.Close()
		p.mu.Lock()
		delete(p.clients, client)
		p.mu.Unlock()
	}()
	// A black-holed proxy accepts but does not connect onward.
	if _, ok := p.wait(); !ok {
		return
	}
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	p.track(server)
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		p.copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}

// copy forwards src to dst chunk by chunk, like io.Copy, honouring the
// delay and the black hole before every read and every write.
func (p *Proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		if _, ok := p.wait(); !ok {
			return
		}
		n, rerr := src.Read(buf)
		if n > 0 && !p.pass() {
			return
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if rerr != nil {
			return
		}
	}
}

// pass holds a chunk that was read: through the delay, and for as long as
// the proxy is black-holed. It reports false when the proxy was closed.
func (p *Proxy) pass() bool {
	d, ok := p.wait()
	if !ok {
		return false
	}
	if d > 0 {
		select {
		case <-time.After(d):
		case <-p.closed:
			return false
		}
		// Black-holed during the delay: hold the chunk too.
		if _, ok := p.wait(); !ok {
			return false
		}
	}
	return true
}

// wait blocks while the proxy is black-holed and returns the current
// delay; false means the proxy was closed.
func (p *Proxy) wait() (time.Duration, bool) {
	p.mu.Lock()
	flowing, d := p.flowing, p.delay
	p.mu.Unlock()
	select {
	case <-p.closed:
		return 0, false
	default:
	}
	select {
	case <-flowing:
		return d, true
	case <-p.closed:
		return 0, false
	}
}

func (p *Proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}
