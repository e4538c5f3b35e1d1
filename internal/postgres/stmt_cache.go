package postgres

import "github.com/jackc/pgx/v5"

// stmtCacheSize bounds each connection's caches of prepared statements and
// of statement descriptions. pgx sizes both for 512 statements by default
// and allocates their maps at that size on every connection: about 50 KiB
// a connection, a quarter of an idle operator's live heap in a fleet of
// 100 servers (BENCHMARKS.md, "A fleet on one operator"). slotkeeper runs
// about fifty statement texts in all (the SQL of this package, which takes
// every value as a parameter), a connection far fewer, so 64 keeps every
// one of them prepared.
const stmtCacheSize = 64

// sizeCaches sets a connection config's statement caches to stmtCacheSize.
func sizeCaches(cc *pgx.ConnConfig) {
	cc.StatementCacheCapacity = stmtCacheSize
	cc.DescriptionCacheCapacity = stmtCacheSize
}
