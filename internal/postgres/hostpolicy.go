package postgres

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// DefaultDeniedNetworks are refused unless an administrator says
// otherwise: the link-local ranges and the fixed addresses where clouds
// serve instance metadata and credentials. A PostgresServer may name any
// host; these must never be reachable through one.
var DefaultDeniedNetworks = []string{
	"169.254.0.0/16",     // IPv4 link-local: AWS, GCP, Azure, OpenStack metadata
	"fe80::/10",          // IPv6 link-local
	"fd00:ec2::254/128",  // AWS metadata over IPv6
	"100.100.100.200/32", // Alibaba Cloud metadata
}

// HostPolicy is the operator-wide rule for where connections may go,
// checked on the address actually dialled (after DNS), so a name that
// resolves to a refused address is refused too.
type HostPolicy struct {
	allowed []netip.Prefix // empty: every address not denied
	denied  []netip.Prefix
}

// NewHostPolicy parses CIDRs (a bare address is a /32 or /128).
func NewHostPolicy(allowed, denied []string) (*HostPolicy, error) {
	p := &HostPolicy{}
	var err error
	if p.allowed, err = parsePrefixes(allowed); err != nil {
		return nil, fmt.Errorf("allowed networks: %w", err)
	}
	if p.denied, err = parsePrefixes(denied); err != nil {
		return nil, fmt.Errorf("denied networks: %w", err)
	}
	return p, nil
}

// DefaultHostPolicy allows everything but DefaultDeniedNetworks.
func DefaultHostPolicy() *HostPolicy {
	p, err := NewHostPolicy(nil, DefaultDeniedNetworks)
	if err != nil {
		panic(err) // the defaults are constants
	}
	return p
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, pf.Masked())
	}
	return out, nil
}

// HostRefusedError is a connection the host policy stopped before it was made.
type HostRefusedError struct {
	Address string
	Why     string
}

func (e *HostRefusedError) Error() string {
	return fmt.Sprintf("%s is refused by the operator's host policy (%s)", e.Address, e.Why)
}

// Check says whether a connection to address ("ip:port" or an IP) may be made.
func (p *HostPolicy) Check(address string) error {
	host := address
	if h, _, err := net.SplitHostPort(address); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &HostRefusedError{Address: address, Why: "not an IP address"}
	}
	ip = ip.Unmap()
	for _, pf := range p.denied {
		if pf.Contains(ip) {
			return &HostRefusedError{Address: address, Why: "denied network " + pf.String()}
		}
	}
	if len(p.allowed) == 0 {
		return nil
	}
	for _, pf := range p.allowed {
		if pf.Contains(ip) {
			return nil
		}
	}
	return &HostRefusedError{Address: address, Why: "outside the allowed networks"}
}

// control is a net.Dialer Control hook: it runs after DNS, on the address
// about to be connected, and refuses Unix sockets (a PostgresServer must
// not reach into the operator's own pod).
func (p *HostPolicy) control(network, address string, _ syscall.RawConn) error {
	if strings.HasPrefix(network, "unix") {
		return &HostRefusedError{Address: address, Why: "Unix sockets are not allowed"}
	}
	return p.Check(address)
}

// Dialer is a dialer that applies the policy, with pgconn's keepalive.
func (p *HostPolicy) Dialer() *net.Dialer {
	return &net.Dialer{KeepAlive: 5 * time.Minute, Control: p.control}
}
