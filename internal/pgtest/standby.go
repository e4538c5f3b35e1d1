package pgtest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// AddStandby creates the physical replication slot `name` on p (unless it
// exists), builds a streaming standby of p from an online base backup, starts
// it on a new free port and waits until p reports it streaming. The standby
// inherits p's settings, overridden by settings. name doubles as slot name
// and application_name, so it must be a valid slot name ([a-z0-9_]).
func (p *Server) AddStandby(ctx context.Context, name string, settings map[string]string) (*Server, error) {
	if !p.Running() {
		return nil, fmt.Errorf("pgtest: AddStandby(%q): %s is not running", name, p.name)
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres application_name=%s dbname=postgres connect_timeout=5",
		p.Host, p.Port, name)
	p.mu.Lock()
	inherited := merged(p.settings)
	p.mu.Unlock()
	s, err := newServer(p.Major, name, merged(inherited, map[string]string{
		"primary_conninfo":  conninfo,
		"primary_slot_name": name,
		"hot_standby":       "on",
	}, settings))
	if err != nil {
		return nil, err
	}
	s.primary = p
	if err := s.initStandby(ctx, p, name); err != nil {
		s.Cleanup()
		return nil, err
	}
	return s, nil
}

// AddStandbyT is AddStandby for tests: cleaned up with the test, fatal on error.
func (p *Server) AddStandbyT(t testing.TB, name string, settings map[string]string) *Server {
	t.Helper()
	s, err := p.AddStandby(t.Context(), name, settings)
	if err != nil {
		t.Fatal(err)
	}
	s.cleanupWithT(t)
	return s
}

func (s *Server) initStandby(ctx context.Context, p *Server, slot string) error {
	if err := p.baseBackup(ctx, slot, s.DataDir); err != nil {
		return err
	}
	if err := writeServerFile(filepath.Join(s.DataDir, "standby.signal"), ""); err != nil {
		return err
	}
	if err := s.start(ctx, true); err != nil {
		return err
	}
	return p.waitStreaming(ctx, slot, s)
}

// baseBackup copies p's data directory into dst inside a
// pg_backup_start/pg_backup_stop window, the way pg_basebackup -X none
// does. The slot is created first, reserving WAL from before the backup's
// checkpoint, so the standby can stream all the WAL it needs to become
// consistent even though no WAL file is copied.
func (p *Server) baseBackup(ctx context.Context, slot, dst string) error {
	conn, err := p.Connect(ctx, "postgres")
	if err != nil {
		return p.errorf("base backup: %w", err)
	}
	defer conn.Close(context.Background()) // also aborts an unfinished backup
	if _, err := conn.Exec(ctx, `SELECT pg_create_physical_replication_slot($1, true)
		WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, slot); err != nil {
		return p.errorf("creating slot %q: %w", slot, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_backup_start($1, true)`, "pgtest "+slot); err != nil {
		return p.errorf("pg_backup_start: %w", err)
	}
	if err := copyTree(p.DataDir, dst, backupSkip, currentServerUser()); err != nil {
		return p.errorf("copying data directory: %w", err)
	}
	var label, spcmap *string
	if err := conn.QueryRow(ctx, `SELECT labelfile, spcmapfile FROM pg_backup_stop(false)`).
		Scan(&label, &spcmap); err != nil {
		return p.errorf("pg_backup_stop: %w", err)
	}
	if err := writeServerFile(filepath.Join(dst, "backup_label"), deref(label)); err != nil {
		return err
	}
	if deref(spcmap) != "" {
		return writeServerFile(filepath.Join(dst, "tablespace_map"), deref(spcmap))
	}
	return nil
}

// Like pg_basebackup, leave out runtime state whose copy would confuse the
// standby, and the contents (not the directories) of transient areas.
var (
	backupSkipFiles = map[string]bool{
		"postmaster.pid": true, "postmaster.opts": true, "backup_label": true,
		"tablespace_map": true, "backup_manifest": true, "current_logfiles": true,
		"postgresql.auto.conf.tmp": true, "standby.signal": true,
		"recovery.signal": true, confFile: true,
	}
	backupSkipContents = []string{
		"pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial",
		"pg_snapshots", "pg_stat_tmp", "pg_subtrans",
	}
)

func backupSkip(rel string, d fs.DirEntry) bool {
	base := filepath.Base(rel)
	if backupSkipFiles[rel] || strings.HasPrefix(base, "pg_internal.init") || strings.HasPrefix(base, "pgsql_tmp") {
		return true
	}
	for _, dir := range backupSkipContents {
		if strings.HasPrefix(rel, dir+"/") {
			return true
		}
	}
	// Keep pg_wal's subdirectories (archive_status, summaries) but no WAL:
	// the standby streams it through its slot.
	return strings.HasPrefix(rel, "pg_wal/") && !d.IsDir()
}

// waitStreaming waits until p's pg_stat_replication shows standby streaming.
func (p *Server) waitStreaming(ctx context.Context, appName string, standby *Server) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var state string
	for {
		err := p.queryRow(ctx, `SELECT coalesce(max(state), '') FROM pg_stat_replication WHERE application_name = $1`,
			[]any{appName}, &state)
		if err == nil && state == "streaming" {
			return nil
		}
		if !standby.Running() {
			return standby.errorf("standby exited before streaming")
		}
		select {
		case <-ctx.Done():
			return standby.errorf("not streaming from %s (state %q, last error %v): %w\n--- primary log ---\n%s",
				p.Addr(), state, err, ctx.Err(), p.Logs())
		case <-time.After(pollInterval):
		}
	}
}

// Promote turns a standby into a primary and waits until it leaves recovery.
func (s *Server) Promote(ctx context.Context) error {
	var promoted bool
	if err := s.queryRow(ctx, `SELECT pg_promote(true, 60)`, nil, &promoted); err != nil {
		return s.errorf("pg_promote: %w", err)
	}
	if !promoted {
		return s.errorf("pg_promote returned false")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		var inRecovery bool
		err := s.queryRow(ctx, `SELECT pg_is_in_recovery()`, nil, &inRecovery)
		if err == nil && !inRecovery {
			s.mu.Lock()
			s.primary = nil
			s.mu.Unlock()
			return nil
		}
		select {
		case <-ctx.Done():
			return s.errorf("still in recovery after promotion (last error %v): %w", err, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// Primary returns the server a standby streams from, or nil.
func (s *Server) Primary() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.primary
}

// writeServerFile writes a 0600 file owned by the server user.
func writeServerFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	return currentServerUser().chown(path)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
