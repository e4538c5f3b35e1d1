package postgres

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
)

func TestHostPolicyCheck(t *testing.T) {
	def := DefaultHostPolicy()
	only10, err := NewHostPolicy([]string{"10.0.0.0/8", "fd12::/16"}, DefaultDeniedNetworks)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		policy  *HostPolicy
		address string
		refused bool
	}{
		{def, "169.254.169.254:80", true},
		{def, "169.254.1.2", true},
		{def, "[fe80::1]:5432", true},
		{def, "[fd00:ec2::254]:80", true},
		{def, "100.100.100.200:80", true},
		{def, "[::ffff:169.254.169.254]:80", true}, // IPv4-mapped
		{def, "10.1.2.3:5432", false},
		{def, "127.0.0.1:5432", false},
		{def, "db.example:5432", true}, // only addresses are dialled
		{only10, "10.1.2.3:5432", false},
		{only10, "[fd12::1]:5432", false},
		{only10, "192.168.1.1:5432", true},
		{only10, "169.254.169.254:80", true},
	} {
		err := tc.policy.Check(tc.address)
		var hr *HostRefusedError
		if refused := errors.As(err, &hr); refused != tc.refused {
			t.Errorf("%s: refused=%v (%v), want %v", tc.address, refused, err, tc.refused)
		}
	}
	if _, err := NewHostPolicy([]string{"10.0.0.0/33"}, nil); err == nil {
		t.Error("a bad CIDR must be refused")
	}
	if p, err := NewHostPolicy([]string{""}, []string{" 192.0.2.1 "}); err != nil || p.Check("192.0.2.1:1") == nil {
		t.Errorf("a bare address is a /32; empty items are ignored (%v)", err)
	}
}

// The policy applies to the address really dialled: a name that resolves
// to a refused address never gets a connection, and the error says why.
func TestHostPolicyStopsTheDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	policy, err := NewHostPolicy(nil, []string{"127.0.0.0/8", "::1/128"})
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Connect(t.Context(), ConnConfig{Host: "localhost", Port: port, User: "u", Password: "p", Policy: policy})
	e := Classify(err)
	if e == nil || e.Reason != ReasonHostRefused {
		t.Fatalf("want %s, got %v", ReasonHostRefused, err)
	}
	if accepted.Load() != 0 {
		t.Fatalf("the listener accepted %d connections", accepted.Load())
	}
	// The control: without the policy the same dial reaches the listener.
	_, _ = Connect(t.Context(), ConnConfig{Host: "localhost", Port: port, User: "u", Password: "p", TLSMode: "disable"})
	if accepted.Load() == 0 {
		t.Fatal("the listener is not reachable at all: the test proves nothing")
	}
}
