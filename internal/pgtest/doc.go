// Package pgtest runs real PostgreSQL servers for tests and for the demo.
//
// Servers listen on 127.0.0.1 on a free port, live in their own directory
// and are started as direct children of the calling process, so the package
// always knows whether a postmaster is alive, and the kernel kills it if the
// process dies without cleaning up (spawn.go). Directories such a death
// leaves behind are swept by the next process that uses the package.
//
// initdb runs once per major version into a cached template (template.go);
// every server is a copy of that template, which keeps startup well under a
// second. Directories go to /dev/shm when it is a roomy tmpfs (dirs.go).
// Standbys are built from an online base backup taken through
// pg_backup_start/pg_backup_stop and a file copy (standby.go), because the
// 16-18 builds used here ship without pg_basebackup.
//
// When the process runs as root (as CI does) the servers run as the user
// nobody, since PostgreSQL refuses to run as root (runas.go).
//
// Environment: PGTEST_MAJORS ("15,17") restricts MajorsFromEnv;
// PGTEST_TMPDIR overrides where directories go; SLOTKEEPER_ROOT overrides
// the repository root in which bin/pg/<major> is looked up.
package pgtest
