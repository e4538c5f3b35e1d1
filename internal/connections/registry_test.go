package connections

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Pools connect lazily, so none of this needs a server.
func TestRegistry(t *testing.T) {
	ctx := context.Background()
	key := types.NamespacedName{Namespace: "ns", Name: "db"}
	a, b := observation.Endpoint{Host: "10.0.0.1", Port: 5432}, observation.Endpoint{Host: "10.0.0.2", Port: 5432}
	conn := postgres.ConnConfig{User: "u", Password: "p", Database: "postgres", TLSMode: "disable", ConnectTimeout: 3 * time.Second}
	r := New()
	if _, err := r.Pool(ctx, key, a, ""); !errors.Is(err, ErrUnknownServer) {
		t.Fatalf("pool before Set: %v", err)
	}
	if got := r.Timeout(key); got != postgres.DefaultConnectTimeout {
		t.Errorf("Timeout before Set = %s", got)
	}
	r.Set(key, conn, []observation.Endpoint{a, b})
	for _, m := range []observation.Endpoint{a, b} {
		if _, err := r.Pool(ctx, key, m, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.servers[key].pools.Len(); n != 2 {
		t.Fatalf("%d pools, want one per member", n)
	}
	c, ok := r.ConnConfig(key, b, "orders")
	if !ok || c.Host != "10.0.0.2" || c.Port != 5432 || c.Database != "orders" || c.User != "u" {
		t.Errorf("ConnConfig = %+v, %v", c, ok)
	}
	if got := r.Timeout(key); got != 3*time.Second {
		t.Errorf("Timeout = %s, want the server's connect timeout", got)
	}
	// A member that leaves the configuration takes its pools with it.
	r.Set(key, conn, []observation.Endpoint{a})
	if n := r.servers[key].pools.Len(); n != 1 {
		t.Fatalf("%d pools after a member left, want 1", n)
	}
	r.Remove(key)
	if _, ok := r.ConnConfig(key, a, ""); ok {
		t.Error("a removed server still has a configuration")
	}
}
