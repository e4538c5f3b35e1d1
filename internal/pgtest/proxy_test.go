package pgtest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer echoes every line back; no PostgreSQL needed.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func startTestProxy(t *testing.T) *Proxy {
	t.Helper()
	p, err := StartProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func dialProxy(t *testing.T, p *Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

// roundTrip sends a line and waits up to wait for its echo.
func roundTrip(c net.Conn, r *bufio.Reader, wait time.Duration) (time.Duration, error) {
	start := time.Now()
	_ = c.SetDeadline(start.Add(wait))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return 0, err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return time.Since(start), err
	}
	if line != "ping\n" {
		return 0, errors.New("echo garbled: " + line)
	}
	return time.Since(start), nil
}

func TestProxyDelay(t *testing.T) {
	p := startTestProxy(t)
	c, r := dialProxy(t, p)
	if _, err := roundTrip(c, r, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	const d = 150 * time.Millisecond
	p.SetDelay(d)
	took, err := roundTrip(c, r, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// One chunk each way, each waiting d.
	if took < 2*d {
		t.Errorf("round trip with delay %v took %v, want at least %v", d, took, 2*d)
	}
	p.SetDelay(0)
	if _, err := roundTrip(c, r, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestProxyBlackhole(t *testing.T) {
	p := startTestProxy(t)
	c, r := dialProxy(t, p)
	if _, err := roundTrip(c, r, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Blackhole(true)

	// An established connection: nothing comes back, and it is not closed
	// (a timeout, not EOF or a reset).
	_, err := roundTrip(c, r, 300*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("established connection while black-holed: got %v, want a timeout", err)
	}
	// A new connection is accepted but gets no answer either.
	c2, r2 := dialProxy(t, p)
	if _, err := roundTrip(c2, r2, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("new connection while black-holed: got %v, want a timeout", err)
	}
	if n := p.Clients(); n != 2 {
		t.Errorf("Clients() = %d while black-holed, want 2", n)
	}
	// A client that gives up and closes no longer counts, though the black
	// hole keeps the proxy from finishing its connection.
	c3, _ := dialProxy(t, p)
	waitClients(t, p, 3)
	_ = c3.Close()
	waitClients(t, p, 2)

	p.Blackhole(false)
	// The held pings come through after the heal, then the streams go on.
	for i, conn := range []struct {
		c net.Conn
		r *bufio.Reader
	}{{c, r}, {c2, r2}} {
		_ = conn.c.SetDeadline(time.Now().Add(5 * time.Second))
		if line, err := conn.r.ReadString('\n'); err != nil || line != "ping\n" {
			t.Fatalf("connection %d: held ping after heal: %q, %v", i, line, err)
		}
		if _, err := roundTrip(conn.c, conn.r, 5*time.Second); err != nil {
			t.Fatalf("connection %d after heal: %v", i, err)
		}
	}
	_ = c.Close()
	_ = c2.Close()
	waitClients(t, p, 0)
}

// waitClients waits up to 5 s for the proxy to count want clients.
func waitClients(t *testing.T, p *Proxy, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Clients() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := p.Clients(); n != want {
		t.Errorf("Clients() = %d, want %d", n, want)
	}
}

// Close must end connections held by a black hole that is never healed.
func TestProxyCloseWhileBlackholed(t *testing.T) {
	p := startTestProxy(t)
	p.Blackhole(true)
	c, r := dialProxy(t, p)
	_, _ = io.WriteString(c, "ping\n")
	p.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadString('\n'); errors.Is(err, os.ErrDeadlineExceeded) || err == nil {
		t.Fatalf("read after Close: %v, want the connection closed", err)
	}
}
