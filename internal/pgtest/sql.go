package pgtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Connect opens a superuser connection to database.
func (s *Server) Connect(ctx context.Context, database string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.SuperuserDSN(database))
}

// Exec runs sql as superuser on database postgres. Without args it uses the
// simple protocol, so sql may hold several statements.
func (s *Server) Exec(ctx context.Context, sql string, args ...any) error {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// queryRow runs a one-row query as superuser on database postgres.
func (s *Server) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, sql, args...).Scan(dest...)
}

// CreateDatabase creates a database; one that exists already is fine.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	err := s.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "42P04" {
		return nil
	}
	return err
}

// CreateRole creates a LOGIN role with a password (REPLICATION too if asked)
// and grants it pg_monitor. If the role exists its password and attributes
// are reset instead, so reruns converge.
func (s *Server) CreateRole(ctx context.Context, name, password string, replication bool) error {
	role := pgx.Identifier{name}.Sanitize()
	attrs := "LOGIN NOREPLICATION"
	if replication {
		attrs = "LOGIN REPLICATION"
	}
	// Utility statements take no parameters, hence the quoted literal.
	sql := fmt.Sprintf(`DO $pgtest$ BEGIN
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %[1]s) THEN
		ALTER ROLE %[2]s %[3]s PASSWORD %[4]s;
	ELSE
		CREATE ROLE %[2]s %[3]s PASSWORD %[4]s;
	END IF;
END $pgtest$;
GRANT pg_monitor TO %[2]s;`, quoteLiteral(name), role, attrs, quoteLiteral(password))
	return s.Exec(ctx, sql)
}

// quoteLiteral quotes a SQL string literal (standard_conforming_strings is
// on in every supported version, so only quotes need doubling).
func quoteLiteral(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// SetSettings merges settings into the server's settings file, then
// restarts the server (restart) or reloads it and waits until new sessions
// see the reloaded files. A stopped server just gets the new file. Settings
// that cannot change without a restart stay pending after a reload. If the
// running server rejects a name or value, the previous file is restored.
func (s *Server) SetSettings(ctx context.Context, settings map[string]string, restart bool) error {
	s.mu.Lock()
	previous := maps.Clone(s.settings)
	maps.Copy(s.settings, settings)
	err := s.writeConf()
	s.mu.Unlock()
	if err != nil {
		return s.errorf("writing %s: %w", confFile, err)
	}
	if !s.Running() {
		return nil
	}
	if err := s.fileSettingsErrors(ctx); err != nil {
		s.mu.Lock()
		s.settings = previous
		_ = s.writeConf()
		s.mu.Unlock()
		return err
	}
	if restart {
		if err := s.Stop(); err != nil {
			return err
		}
		return s.Start(ctx)
	}
	return s.reload(ctx)
}

// reload asks for a reload and waits until pg_conf_load_time (inherited by
// new sessions from the postmaster) moves, since the reload is asynchronous.
func (s *Server) reload(ctx context.Context) error {
	var before time.Time
	if err := s.queryRow(ctx, `SELECT pg_conf_load_time()`, nil, &before); err != nil {
		return s.errorf("reload: %w", err)
	}
	if err := s.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		return s.errorf("reload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		var now time.Time
		err := s.queryRow(ctx, `SELECT pg_conf_load_time()`, nil, &now)
		if err == nil && now.After(before) {
			return nil
		}
		select {
		case <-ctx.Done():
			return s.errorf("reload not seen (last error %v): %w", err, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// fileSettingsErrors reports settings the server rejects (unknown names,
// bad values), which a reload would otherwise only log. pg_file_settings
// says "setting could not be applied" both for a bad value and for a
// restart-only setting that changed, so the latter is told apart by context.
func (s *Server) fileSettingsErrors(ctx context.Context) error {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return s.errorf("checking settings: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT coalesce(f.name, ''), f.error
		FROM pg_file_settings f LEFT JOIN pg_settings s USING (name)
		WHERE f.error IS NOT NULL
		  AND NOT (f.error = 'setting could not be applied' AND s.context = 'postmaster')`)
	if err != nil {
		return s.errorf("checking settings: %w", err)
	}
	var problems []string
	var name, msg string
	_, err = pgx.ForEachRow(rows, []any{&name, &msg}, func() error {
		problems = append(problems, name+": "+msg)
		return nil
	})
	if err != nil {
		return s.errorf("checking settings: %w", err)
	}
	if len(problems) > 0 {
		return s.errorf("invalid settings: %s", strings.Join(problems, "; "))
	}
	return nil
}
