package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// TestPoolShrinksToOneAfterABurst: after two queries at once, a pool that
// is then queried one statement at a time, like the monitor's, closes its
// second connection. The pool's idle time and health check period are
// scaled down by the same factor, so their order is the one in use.
func TestPoolShrinksToOneAfterABurst(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL; run without -short (make test)")
	}
	ctx := t.Context()
	p := pgtest.StartPrimaryT(t, pgtest.Options{Major: 17, Name: "pool-idle"})
	if err := p.CreateRole(ctx, "sk", "sk", true); err != nil {
		t.Fatal(err)
	}
	cfg := ConnConfig{Host: p.Host, Port: p.Port, User: "sk", Password: "sk", Database: "postgres", TLSMode: "disable"}
	pc, err := cfg.PoolConfig()
	if err != nil {
		t.Fatal(err)
	}
	const scale = 50
	pc.MaxConnIdleTime, pc.HealthCheckPeriod = poolMaxConnIdleTime/scale, poolHealthCheckPeriod/scale
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	burst(t, ctx, pool)
	if n := pool.Stat().TotalConns(); n != 2 {
		t.Fatalf("after the burst: %d connections, want 2", n)
	}
	// One statement every 100 ms (a 5 s poll, scaled) for ten health
	// check periods.
	for end := time.Now().Add(10 * pc.HealthCheckPeriod); time.Now().Before(end); time.Sleep(poolMaxConnIdleTime / scale / 3) {
		if _, err := pool.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := pool.Stat().TotalConns(); n != 1 {
		t.Fatalf("queried one statement at a time, the pool kept %d connections, want 1", n)
	}
}

// burst runs two statements at once, so the pool opens both connections.
func burst(t *testing.T, ctx context.Context, pool *pgxpool.Pool) {
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := pool.Exec(ctx, "SELECT pg_sleep(0.2)"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
