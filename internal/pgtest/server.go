package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Options describe a primary to start.
type Options struct {
	Major    int               // required: one of Majors()
	Settings map[string]string // extra postgresql.conf settings, overriding the defaults
	Name     string            // label used in directory names and messages
	// FreshInitdb runs initdb for this server instead of copying the cached
	// template (about a second slower). Copies of one template share its
	// system identifier; use this when a test needs clusters to differ.
	FreshInitdb bool
}

// Server is one running (or stopped) PostgreSQL server. Its methods are safe
// for concurrent use; Cleanup may be called from another goroutine (e.g. a
// signal handler) at any time.
type Server struct {
	Major   int
	Host    string // always "127.0.0.1"
	Port    int
	DataDir string

	name     string
	binDir   string
	baseDir  string            // holds DataDir, the log and the unix socket
	logPath  string            // postgres' stderr, appended across restarts
	settings map[string]string // s's settings on top of defaultSettings

	mu      sync.Mutex
	proc    *process // the running postmaster, nil when stopped
	primary *Server  // what a standby streams from; nil once promoted
	cleaned bool
}

// StartPrimary creates a server from the cached template for opts.Major and
// starts it on a free port of 127.0.0.1.
func StartPrimary(ctx context.Context, opts Options) (*Server, error) {
	if opts.Name == "" {
		opts.Name = fmt.Sprintf("pg%d", opts.Major)
	}
	s, err := newServer(opts.Major, opts.Name, opts.Settings)
	if err != nil {
		return nil, err
	}
	if err := s.initPrimary(ctx, opts.FreshInitdb); err != nil {
		s.Cleanup()
		return nil, err
	}
	return s, nil
}

func (s *Server) initPrimary(ctx context.Context, fresh bool) error {
	if fresh {
		if err := initTemplate(ctx, s.binDir, s.DataDir); err != nil {
			return fmt.Errorf("pgtest: %s: %w", s.name, err)
		}
		return s.start(ctx, true)
	}
	tmpl, err := templateDir(ctx, s.Major, s.binDir)
	if err != nil {
		return err
	}
	if err := copyTree(tmpl, s.DataDir, nil, currentServerUser()); err != nil {
		return fmt.Errorf("pgtest: %s: copying template: %w", s.name, err)
	}
	return s.start(ctx, true)
}

// StartPrimaryT starts a primary that is cleaned up when the test ends; on
// failure it ends the test. If the test failed, the server log is logged.
func StartPrimaryT(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := StartPrimary(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	s.cleanupWithT(t)
	return s
}

func (s *Server) cleanupWithT(t testing.TB) {
	t.Cleanup(func() {
		if t.Failed() && !s.isCleaned() { // a cleaned-up server has no log left
			t.Logf("pgtest: log of %s (%s):\n%s", s.name, s.Addr(), s.Logs())
		}
		s.Cleanup()
	})
}

func (s *Server) isCleaned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cleaned
}

// newServer prepares the directories of a server and registers it for
// CleanupAll; the data directory itself is created by the caller.
func newServer(major int, name string, settings map[string]string) (*Server, error) {
	binDir, err := BinDir(major)
	if err != nil {
		return nil, err
	}
	u := currentServerUser()
	if err := u.checkTraversable(binDir); err != nil {
		return nil, err
	}
	if err := u.checkTraversable(workRoot()); err != nil {
		return nil, err
	}
	sweepOnce.Do(sweepAbandoned)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp(workRoot(), "pgtest-"+dirLabel(name)+"-")
	if err != nil {
		return nil, err
	}
	if err := errors.Join(u.makeServerDir(base), writeOwner(base)); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	s := &Server{
		Major: major, Host: "127.0.0.1", Port: port,
		DataDir: filepath.Join(base, "data"),
		name:    name, binDir: binDir, baseDir: base,
		logPath:  filepath.Join(base, "postgres.log"),
		settings: merged(settings),
	}
	register(s)
	return s, nil
}

// dirLabel keeps names safe and short in paths: the unix socket lives in the
// base directory and its path is limited to 107 bytes.
func dirLabel(name string) string {
	label := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	if len(label) > 20 {
		label = label[:20]
	}
	return label
}

// Name returns the label given at creation.
func (s *Server) Name() string { return s.name }

// LogPath returns the server log file.
func (s *Server) LogPath() string { return s.logPath }

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// DSN returns a URL connection string; an empty password is left out.
func (s *Server) DSN(user, password, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     s.Addr(),
		Path:     "/" + database,
		RawQuery: "sslmode=disable&connect_timeout=5",
	}
	if password == "" {
		u.User = url.User(user)
	}
	return u.String()
}

// SuperuserDSN connects as postgres, which pg_hba.conf trusts.
func (s *Server) SuperuserDSN(database string) string { return s.DSN("postgres", "", database) }

// errorf wraps an error with the server's name and the tail of its log,
// which is nearly always what explains a failure.
func (s *Server) errorf(format string, args ...any) error {
	return fmt.Errorf("pgtest: %s (PostgreSQL %d, %s): %w\n--- tail of %s ---\n%s",
		s.name, s.Major, s.Addr(), fmt.Errorf(format, args...), s.logPath, s.Logs())
}
