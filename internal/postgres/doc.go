// Package postgres is the only package of slotkeeper that speaks SQL.
//
// It connects to PostgreSQL 15 to 18 with pgx, identifies a server (version,
// system identifier, timeline, settings and the rights of the connecting
// role), lists, creates and drops replication slots, and classifies every
// error into a small set of reasons the controllers can act on.
//
// All SQL is parameterised: slot names, plugins and database names travel as
// $n parameters, never spliced into statement text. Columns that exist only on
// some server versions are chosen by server_version_num, so one binary works
// against every supported major.
package postgres
