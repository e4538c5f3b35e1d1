package pgtest

import (
	"context"
	"fmt"
	"path/filepath"
)

// Rejoin turns s, a stopped former primary, into a streaming standby of
// primary, keeping s's data directory and so its old replication slots
// (tests check what becomes of a former primary's stale slots).
//
// It needs a switchover: s stopped with Stop (fast shutdown) before primary,
// its standby, was promoted. A clean shutdown lets the standby receive s's
// last WAL record, so s's WAL ends exactly at the new timeline's switch point
// and s can follow the new timeline without pg_rewind. After a Crash, s may
// have WAL the standby never got, and Rejoin then fails to stream.
//
// The physical slot `slot` is created on primary unless it exists; it doubles
// as application_name, so it must be a valid slot name ([a-z0-9_]).
func (s *Server) Rejoin(ctx context.Context, primary *Server, slot string) error {
	if s.Running() {
		return fmt.Errorf("pgtest: Rejoin(%q): %s is running; Stop it first", slot, s.name)
	}
	if !primary.Running() {
		return fmt.Errorf("pgtest: Rejoin(%q): %s is not running", slot, primary.name)
	}
	if err := primary.ensurePhysicalSlot(ctx, slot); err != nil {
		return err
	}
	s.followSettings(primary, slot)
	// Without standby.signal the server would start as a primary again and
	// fork its own timeline.
	if err := writeServerFile(filepath.Join(s.DataDir, "standby.signal"), ""); err != nil {
		return s.errorf("writing standby.signal: %w", err)
	}
	// Same port: tests and proxies may already point at it.
	if err := s.start(ctx, false); err != nil {
		return err
	}
	if err := primary.waitStreaming(ctx, slot, s); err != nil {
		return err
	}
	s.mu.Lock()
	s.primary = primary
	s.mu.Unlock()
	return nil
}

// followSettings points s at primary through slot, the way AddStandby does.
// start rewrites the settings file from s.settings, so this is all it takes.
func (s *Server) followSettings(primary *Server, slot string) {
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres application_name=%s dbname=postgres connect_timeout=5",
		primary.Host, primary.Port, slot)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings["primary_conninfo"] = conninfo
	s.settings["primary_slot_name"] = slot
	s.settings["hot_standby"] = "on"
}

// ensurePhysicalSlot creates a physical slot reserving WAL at once, unless a
// slot of that name exists.
func (p *Server) ensurePhysicalSlot(ctx context.Context, slot string) error {
	err := p.Exec(ctx, `SELECT pg_create_physical_replication_slot($1, true)
		WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, slot)
	if err != nil {
		return p.errorf("creating slot %q: %w", slot, err)
	}
	return nil
}
