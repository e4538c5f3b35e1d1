package postgres

import (
	"context"
	"testing"
)

// Pools connect lazily, so their sizing shows without a server.
func TestPoolsSizing(t *testing.T) {
	cfg := ConnConfig{Host: "127.0.0.1", Port: 1, User: "sk", Password: "x", Database: "postgres", TLSMode: "disable"}
	for _, tc := range []struct {
		name  string
		pools *Pools
		want  int32
	}{
		{"default", NewPools(), poolMaxConns},
		{"sized", NewPoolsOf(4), 4},
	} {
		pool, err := tc.pools.Get(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := pool.Config().MaxConns; got != tc.want {
			t.Errorf("%s: MaxConns %d, want %d", tc.name, got, tc.want)
		}
		tc.pools.CloseAll()
	}
}
