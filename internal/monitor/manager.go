package monitor

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Config is what a server monitor needs to reach the members.
type Config struct {
	Members []observation.Endpoint
	// Pods names the Pod behind each member found through
	// spec.hostsFrom; members of spec.hosts have none.
	Pods map[observation.Endpoint]string
	// Conn is the template for every connection; Host and Port are set per
	// member and Database to the maintenance database.
	Conn         postgres.ConnConfig
	PollInterval time.Duration
	// SystemIdentifier is the cluster's, once known; members with another
	// one are refused.
	SystemIdentifier string
	// UnmanagedBudget is the WAL the primary's inactive unmanaged slots
	// may retain (spec.maxUnmanagedRetainedWAL or its default); crossing
	// it wakes the server object. 0 turns that wake-up off.
	UnmanagedBudget int64
}

// Manager runs one monitor per PostgresServer. It is a manager.Runnable that
// needs leader election: only the leader observes and acts.
type Manager struct {
	slotEvents   chan event.GenericEvent
	serverEvents chan event.GenericEvent

	mu      sync.Mutex
	ctx     context.Context
	servers map[types.NamespacedName]*server
	tracker *tracker
	// conns is the connection registry the monitor polls through; it
	// keeps it configured as servers come, change and go.
	conns *connections.Registry
}

// New returns a Manager that connects through conns; call Start (the
// controller manager does) before use.
func New(conns *connections.Registry) *Manager {
	return &Manager{
		conns:        conns,
		slotEvents:   make(chan event.GenericEvent, 1024),
		serverEvents: make(chan event.GenericEvent, 256),
		servers:      map[types.NamespacedName]*server{},
		tracker:      newTracker(),
	}
}

// SlotEvents wakes ReplicationSlots whose observation changed.
func (m *Manager) SlotEvents() <-chan event.GenericEvent { return m.slotEvents }

// ServerEvents wakes PostgresServers whose observation changed.
func (m *Manager) ServerEvents() <-chan event.GenericEvent { return m.serverEvents }

// NeedLeaderElection keeps standby replicas of the operator passive.
func (m *Manager) NeedLeaderElection() bool { return true }

// Start runs until ctx ends, then stops every server monitor.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	m.ctx = ctx
	for _, s := range m.servers {
		s.start(ctx)
	}
	m.mu.Unlock()
	<-ctx.Done()
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, s := range m.servers {
		s.stop()
		m.conns.Remove(key)
		delete(m.servers, key)
	}
	return nil
}

// Ensure starts the monitor of a server or updates its configuration. A
// configuration change takes effect at the next poll, which it triggers.
func (m *Manager) Ensure(key types.NamespacedName, cfg Config) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.servers[key]; ok {
		if s.setConfig(cfg) {
			m.conns.Set(key, cfg.Conn, cfg.Members)
			s.refresh()
		}
		return
	}
	m.conns.Set(key, cfg.Conn, cfg.Members)
	s := newServer(key, cfg, m)
	m.servers[key] = s
	if m.ctx != nil {
		s.start(m.ctx)
	}
}

// Remove stops the monitor of a server and closes its connections.
func (m *Manager) Remove(key types.NamespacedName) {
	m.mu.Lock()
	s, ok := m.servers[key]
	delete(m.servers, key)
	m.mu.Unlock()
	if ok {
		s.stop()
		m.conns.Remove(key)
	}
}

// Snapshot returns the latest observation of a server, or nil before the
// first poll. The snapshot must not be modified.
func (m *Manager) Snapshot(key types.NamespacedName) *observation.Snapshot {
	if s := m.server(key); s != nil {
		return s.latest()
	}
	return nil
}

// Refresh asks for a poll soon, after an action changed a slot: at once
// unless a poll began less than refreshGap ago.
func (m *Manager) Refresh(key types.NamespacedName) {
	if s := m.server(key); s != nil {
		s.lookSoon()
	}
}

// LastConfirmed returns the last confirmed_flush_lsn seen for a slot on any
// primary of the server, or nil.
func (m *Manager) LastConfirmed(key types.NamespacedName, slot string) *postgres.LSN {
	s := m.server(key)
	if s == nil {
		return nil
	}
	lsn, ok := s.lastConfirmedOf(slot)
	if !ok {
		return nil
	}
	return &lsn
}

// ConfirmedBefore returns the last confirmed_flush_lsn seen for a slot on
// the primary of timeline tl, once a promotion has ended that timeline.
func (m *Manager) ConfirmedBefore(key types.NamespacedName, slot string, tl int64) *postgres.LSN {
	s := m.server(key)
	if s == nil {
		return nil
	}
	lsn, ok := s.confirmedBefore(slot, tl)
	if !ok {
		return nil
	}
	return &lsn
}

// SetManaged tells the monitor of a server which slot names ReplicationSlots
// own, as its status counts them; the rest are unmanaged, and their
// retention crossing Config.UnmanagedBudget wakes the server. The map is
// kept, not copied: the caller must not change it afterwards.
func (m *Manager) SetManaged(key types.NamespacedName, names map[string]bool) {
	if s := m.server(key); s != nil {
		s.mu.Lock()
		s.managed = names
		s.mu.Unlock()
	}
}

// Track records that a ReplicationSlot watches a slot of a server, so a change
// of that slot wakes exactly that object; so does its retention crossing
// budget (spec.maxRetainedWAL in bytes, 0 without one), either way.
func (m *Manager) Track(server types.NamespacedName, slot string, obj types.NamespacedName, budget int64) {
	m.tracker.track(server, slot, obj, budget)
}

// Expect records that a ReplicationSlot knows its slot existed on member
// `on` at since (it created or read it), held by a consumer or not
// (active), while the latest snapshot lacked it. The first snapshot that
// holds the slot on that member, or that was polled after since, settles
// it: if the slot is missing there, or a consumer came or went, the object
// is woken. Without this, a slot dropped, or taken by a consumer, before
// any snapshot held it would change no fingerprint and go unnoticed until
// the object's next requeue.
func (m *Manager) Expect(server types.NamespacedName, slot string, on observation.Endpoint, obj types.NamespacedName, since time.Time, seen observation.RowState) {
	m.tracker.expect(server, slot, on, obj, since, seen)
}

// Wake reconciles one ReplicationSlot soon, e.g. when its creation ended.
func (m *Manager) Wake(obj types.NamespacedName) {
	m.mu.Lock()
	ctx := m.ctx
	m.mu.Unlock()
	if ctx != nil {
		go m.send(ctx, m.slotEvents, obj)
	}
}

// Untrack forgets a ReplicationSlot.
func (m *Manager) Untrack(obj types.NamespacedName) { m.tracker.untrack(obj) }

func (m *Manager) server(key types.NamespacedName) *server {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.servers[key]
}
