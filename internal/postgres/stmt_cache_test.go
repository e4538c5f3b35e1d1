package postgres

import "testing"

// Pools and plain connections both get the small statement caches: pgx's
// default of 512 allocates about 50 KiB a connection up front.
func TestStatementCacheSize(t *testing.T) {
	cfg := ConnConfig{Host: "127.0.0.1", Port: 1, User: "sk", Password: "x", Database: "postgres", TLSMode: "disable"}
	pc, err := cfg.PoolConfig()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cfg.Config()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][2]int{
		"pool":       {pc.ConnConfig.StatementCacheCapacity, pc.ConnConfig.DescriptionCacheCapacity},
		"connection": {cc.StatementCacheCapacity, cc.DescriptionCacheCapacity},
	} {
		if got != [2]int{stmtCacheSize, stmtCacheSize} {
			t.Errorf("%s: statement and description caches %v, want %d each", name, got, stmtCacheSize)
		}
	}
}
