package main

import (
	"testing"
	"time"
)

// TestDemo runs `make demo` as CI would (DEMO_EXIT=1): the README's first
// command keeps working. The demo fails when the failover slot's consumer
// loses a row, when FailoverReady never turns True, or when the plain
// slot's consumer misses a row outside the data gap its slot reports.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver, four PostgreSQL servers and the operator binary; run without -short (make demo, make test)")
	}
	t.Setenv("DEMO_EXIT", "1")
	started := time.Now()
	if err := run(); err != nil {
		t.Fatalf("demo failed: %v", err)
	}
	t.Logf("demo ran in %s", time.Since(started).Round(time.Second))
}
