// Package observation holds what one poll saw of a PostgresServer's
// members and slots: plain values that the monitor produces and the
// controllers and status judgements read. It runs nothing and imports only
// the PostgreSQL types.
package observation

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Endpoint is one member address.
type Endpoint struct {
	Host string
	Port int32
}

// Addr is "host:port", the form used in status and logs.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port))) }

// Member is what one poll saw of one member.
type Member struct {
	Endpoint
	// Pod names the Pod behind the member when an EndpointSlice of
	// spec.hostsFrom listed it (its TargetRef); "" for a member of
	// spec.hosts. A Pod recreated under a new IP is the same member with
	// its data directory: the records kept of slots there follow the name.
	Pod string
	// Identity is nil when the member could not be reached.
	Identity *postgres.Identity
	Err      *postgres.Error
	// Slots is every slot on the member, by name; nil when listing failed.
	Slots    map[string]postgres.Slot
	SlotsErr *postgres.Error
	// StaleHolders names the member's slots whose holder looked stale at
	// this poll (status.LooksStale), nil when none did. The monitor fills
	// it in when it publishes the snapshot, where it knows since when each
	// consumer has stood still; the verdict turning wakes the object.
	StaleHolders map[string]bool
}

// Reachable reports whether the member answered the probe.
func (m *Member) Reachable() bool { return m.Identity != nil }

// IsPrimary reports whether the member answered and is not in recovery.
func (m *Member) IsPrimary() bool { return m.Identity != nil && !m.Identity.InRecovery }

// Snapshot is one poll of every member of a server.
type Snapshot struct {
	At      time.Time
	Seq     uint64
	Members []Member
	// Primary indexes Members; -1 when no member (or more than one) claims it.
	Primary int
	// Claims lists the addresses of every member not in recovery; more than
	// one is a split brain.
	Claims []string
	// Refused explains members refused for belonging to another cluster.
	Refused []string
	// SystemIdentifier is the cluster's: the one recorded before, else the
	// primary's; "" until a primary was seen.
	SystemIdentifier string

	// Fingerprint is the monitor's change key for this snapshot, set
	// before it is published so the next poll's comparison need not
	// rebuild it.
	Fingerprint string
}

// Holds reports whether any member lists the slot.
func (s *Snapshot) Holds(slot string) bool { return s.Holders(slot) > 0 }

// Holders counts the members that list the slot.
func (s *Snapshot) Holders(slot string) int {
	n := 0
	for i := range s.Members {
		if _, ok := s.Members[i].Slots[slot]; ok {
			n++
		}
	}
	return n
}

// SlotOn is the slot's row on the member at endpoint on, or nil.
func (s *Snapshot) SlotOn(slot string, on Endpoint) *postgres.Slot {
	m := s.Member(on.Host, on.Port)
	if m == nil {
		return nil
	}
	if row, ok := m.Slots[slot]; ok {
		return &row
	}
	return nil
}

// PrimaryMember returns the single primary, or nil.
func (s *Snapshot) PrimaryMember() *Member {
	if s == nil || s.Primary < 0 {
		return nil
	}
	return &s.Members[s.Primary]
}

// SplitBrain reports whether more than one member claims to be primary.
func (s *Snapshot) SplitBrain() bool { return s != nil && len(s.Claims) > 1 }

// Member finds a member by host (and port, when non-zero).
func (s *Snapshot) Member(host string, port int32) *Member {
	if s == nil {
		return nil
	}
	for i := range s.Members {
		m := &s.Members[i]
		if m.Host == host && (port == 0 || m.Port == port) {
			return m
		}
	}
	return nil
}

// FirstError is the most telling error of an unusable snapshot: the first
// member's error, since every member failing usually shares one cause.
func (s *Snapshot) FirstError() *postgres.Error {
	if s == nil {
		return nil
	}
	for i := range s.Members {
		if s.Members[i].Err != nil {
			return s.Members[i].Err
		}
	}
	return nil
}

// choosePrimary fills Primary, Claims and Refused. A member whose system
// identifier differs from the cluster's belongs to another cluster: it is
// refused, never trusted as primary. The cluster's identifier is the one
// recorded before (expected) or, the first time, the first primary's.
func (s *Snapshot) choosePrimary(expected string) {
	s.Primary, s.Claims, s.Refused = -1, nil, nil
	sysid := expected
	for i := range s.Members {
		if m := &s.Members[i]; sysid == "" && m.IsPrimary() {
			sysid = m.Identity.SystemIdentifier
		}
	}
	for i := range s.Members {
		m := &s.Members[i]
		switch {
		case m.Identity == nil:
		case m.Identity.SystemIdentifier != sysid:
			s.Refused = append(s.Refused, fmt.Sprintf("%s has system identifier %s, not %s",
				m.Addr(), m.Identity.SystemIdentifier, sysid))
		case !m.Identity.InRecovery && s.aliasOf(i) < 0:
			s.Claims = append(s.Claims, m.Addr())
			s.Primary = i
		}
	}
	if len(s.Claims) != 1 {
		s.Primary = -1
	}
	s.SystemIdentifier = sysid
}

// aliasOf returns the index of an earlier member that is the same running
// server as member i (the same primary listed twice, say by a Service name
// and a pod name), or -1. Same system identifier, timeline and postmaster
// start time: two servers that diverged in a split brain differ at least
// in their start time.
func (s *Snapshot) aliasOf(i int) int {
	a := s.Members[i].Identity
	for j := range i {
		b := s.Members[j].Identity
		if b != nil && !b.InRecovery && b.SystemIdentifier == a.SystemIdentifier &&
			b.Timeline == a.Timeline && b.PostmasterStart.Equal(a.PostmasterStart) {
			return j
		}
	}
	return -1
}

// NewSnapshot builds the snapshot of one poll from its members' probes,
// started at at, and picks the primary. expected is the cluster's system
// identifier recorded before, "" when none is known yet.
func NewSnapshot(at time.Time, expected string, members []Member) *Snapshot {
	s := &Snapshot{At: at, Members: members}
	s.choosePrimary(expected)
	return s
}

// Standbys returns the reachable members in recovery that belong to the
// primary's cluster: a member refused for its system identifier is never
// treated as a standby (nothing is read from or done on it).
func (s *Snapshot) Standbys() []*Member {
	p := s.PrimaryMember()
	var out []*Member
	for i := range s.Members {
		m := &s.Members[i]
		if m.Identity == nil || !m.Identity.InRecovery {
			continue
		}
		if p != nil && m.Identity.SystemIdentifier != p.Identity.SystemIdentifier {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Received is the WAL a standby has: the later of what it received from
// upstream and what it replayed (zero when neither is known).
func (m *Member) Received() postgres.LSN {
	if m.Identity == nil {
		return 0
	}
	return max(m.Identity.ReceivedPosition, m.Identity.WALPosition)
}

// Behind says whether a consumer that confirmed up to confirmed is ahead
// of standby m: a failover to m now would leave it holding changes m
// never received. Unknown positions are never judged behind.
func (m *Member) Behind(confirmed *postgres.LSN) bool {
	has := m.Received()
	return confirmed != nil && has != 0 && *confirmed > has
}
