// Package connections holds, for every PostgresServer, how to reach its
// members and the pools of connections to them. The monitor polls through
// it and the controllers act through it; neither owns the other's
// connections, and the credentials live in one place.
package connections

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// ErrUnknownServer: no configuration was set for the server yet.
var ErrUnknownServer = errors.New("server is not monitored yet")

// Registry maps a PostgresServer to its connection template and pools.
type Registry struct {
	mu      sync.Mutex
	servers map[types.NamespacedName]*server
}

// server is one PostgresServer's access. Each has pools of its own: two
// PostgresServers that reach the same host as the same user with
// different Secrets must not replace each other's pools.
type server struct {
	conn  postgres.ConnConfig
	pools *postgres.Pools
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{servers: map[types.NamespacedName]*server{}}
}

// Set stores how to connect to a server's members: conn is the template
// (Host, Port and Database are set per connection). The pools of members
// no longer listed are closed: with spec.hostsFrom every rescheduled Pod
// is a new address, and the old one's connections would otherwise stay
// open for good. Pools whose password or TLS settings changed are
// replaced on their next use (postgres.Pools).
func (r *Registry) Set(key types.NamespacedName, conn postgres.ConnConfig, members []observation.Endpoint) {
	r.mu.Lock()
	s, ok := r.servers[key]
	if !ok {
		s = &server{pools: postgres.NewPools()}
		r.servers[key] = s
	}
	s.conn = conn
	r.mu.Unlock()
	keep := make(map[observation.Endpoint]bool, len(members))
	for _, m := range members {
		keep[m] = true
	}
	s.pools.CloseUnless(func(k postgres.PoolKey) bool {
		return keep[observation.Endpoint{Host: k.Host, Port: int32(k.Port)}]
	})
}

// Remove forgets a server and closes its connections: its object is gone,
// or its credentials were revoked.
func (r *Registry) Remove(key types.NamespacedName) {
	r.mu.Lock()
	s, ok := r.servers[key]
	delete(r.servers, key)
	r.mu.Unlock()
	if ok {
		s.pools.CloseAll()
	}
}

// ConnConfig is the connection configuration for one member and database
// ("" = the maintenance database), for connections of their own.
func (r *Registry) ConnConfig(key types.NamespacedName, member observation.Endpoint, database string) (postgres.ConnConfig, bool) {
	conn, _, ok := r.lookup(key)
	if !ok {
		return postgres.ConnConfig{}, false
	}
	return forMember(conn, member, database), true
}

// Pool returns the pool to one member and database ("" = the maintenance
// database), with the server's current credentials.
func (r *Registry) Pool(ctx context.Context, key types.NamespacedName, member observation.Endpoint, database string) (*pgxpool.Pool, error) {
	conn, pools, ok := r.lookup(key)
	if !ok {
		return nil, ErrUnknownServer
	}
	return pools.Get(ctx, forMember(conn, member, database))
}

// Timeout is how long to wait for a server's members in a probe or read:
// its spec.connectTimeout, or the default for a server not known yet.
func (r *Registry) Timeout(key types.NamespacedName) time.Duration {
	if conn, _, ok := r.lookup(key); ok {
		return conn.Timeout()
	}
	return postgres.DefaultConnectTimeout
}

// lookup copies a server's template under the lock: Set may replace it.
func (r *Registry) lookup(key types.NamespacedName) (postgres.ConnConfig, *postgres.Pools, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.servers[key]
	if !ok {
		return postgres.ConnConfig{}, nil, false
	}
	return s.conn, s.pools, true
}

func forMember(c postgres.ConnConfig, member observation.Endpoint, database string) postgres.ConnConfig {
	c.Host, c.Port = member.Host, int(member.Port)
	if database != "" {
		c.Database = database
	}
	return c
}
