// Package pgtest runs real PostgreSQL servers for tests and for the demo.
//
// Servers listen on 127.0.0.1 on a free port, live in their own temporary
// directory and are started as direct children of the calling process, so
// the package always knows whether a postmaster is alive and the kernel
// kills it if the process dies without cleaning up (see spawn.go).
//
// initdb runs once per major version into a cached template (template.go);
// every server is a copy of that template, which keeps startup well under a
// second. Standbys are built with an online base backup taken through
// pg_backup_start/pg_backup_stop and a file copy (standby.go), because the
// 16-18 builds used here ship without pg_basebackup.
//
// When the process runs as root (as CI does) the servers run as the user
// nobody, since PostgreSQL refuses to run as root (runas.go).
package pgtest
