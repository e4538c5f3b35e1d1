package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// An operator started before its CRDs waits, and goes on once they exist.
func TestWaitForCRDs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver (envtest)")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- waitForCRDs(ctx, cfg) }()
	select {
	case err := <-done:
		t.Fatalf("returned without the CRDs: %v", err)
	case <-time.After(3 * time.Second):
	}
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join("config", "crd", "bases")}}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("after the CRDs were installed: %v", err)
	}
}
