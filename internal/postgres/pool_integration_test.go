package postgres

import (
	"testing"
	"time"
)

func (e *env) testPools(t *testing.T) {
	ctx := t.Context()
	pools := NewPools()
	defer pools.CloseAll()
	cfg := e.cfg(e.primary, repRole, repPassword, appDB)

	p1, err := pools.Get(ctx, cfg)
	must(t, err)
	p2, err := pools.Get(ctx, cfg)
	must(t, err)
	if p1 != p2 {
		t.Fatal("same config must return the same pool")
	}
	if _, err := Identify(ctx, p1); err != nil {
		t.Fatalf("Identify through a pool: %v", err)
	}
	if c := p1.Config(); c.MaxConns != 2 || c.MinConns != 0 || c.MaxConnIdleTime != 15*time.Second ||
		c.ConnConfig.RuntimeParams["application_name"] != ApplicationName {
		t.Errorf("pool config: max %d min %d idle %v", c.MaxConns, c.MinConns, c.MaxConnIdleTime)
	}

	// A password rotation must give a new pool that uses the new password.
	const newPassword = "rotated-pass"
	must(t, e.primary.CreateRole(ctx, repRole, newPassword, true))
	defer func() { must(t, e.primary.CreateRole(ctx, repRole, repPassword, true)) }()
	cfg.Password = newPassword
	p3, err := pools.Get(ctx, cfg)
	must(t, err)
	if p3 == p1 {
		t.Fatal("password change must replace the pool")
	}
	if err := p3.Ping(ctx); err != nil {
		t.Fatalf("new pool: %v", err)
	}
	if pools.Len() != 1 {
		t.Errorf("Len = %d, want 1", pools.Len())
	}
	// A different TLS mode is a different pool as well.
	cfg.TLSMode = TLSDisable
	if p4, err := pools.Get(ctx, cfg); err != nil || p4 == p3 {
		t.Errorf("TLS mode change must replace the pool: %v", err)
	}
	pools.Close(cfg.Key())
	if pools.Len() != 0 {
		t.Errorf("Len after Close = %d", pools.Len())
	}
}

func TestZeroPoolsAndInvalidConfig(t *testing.T) {
	var pools Pools
	defer pools.CloseAll()
	cfg := ConnConfig{Host: "127.0.0.1", Port: closedPort(t), User: "u", Password: "p"}
	p1, err := pools.Get(t.Context(), cfg)
	if err != nil || p1 == nil {
		t.Fatalf("zero Pools: %v", err)
	}
	bad := cfg
	bad.TLSMode = "bogus"
	if _, err := pools.Get(t.Context(), bad); err == nil {
		t.Fatal("invalid TLS mode accepted")
	}
	if p2, err := pools.Get(t.Context(), cfg); err != nil || p2 != p1 {
		t.Fatal("an invalid config must leave the cached pool alone")
	}
	if err := p1.Ping(t.Context()); ReasonOf(err) != ReasonServerUnavailable {
		t.Fatalf("ping of a closed port: %v", ReasonOf(err))
	}
}
