package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool sizing: slotkeeper issues a handful of short queries per reconcile,
// so two connections per database are plenty. Idle ones are released soon
// (the health check is what closes them): a burst of creations in a
// database must not hold server connection slots for minutes, while the
// maintenance pool, used by every poll (5 s by default), keeps its one.
//
// The health check period is longer than the idle time on purpose. Each
// check takes every idle connection and gives the ones it keeps back in
// reverse order (pgxpool's checkConnsHealth over puddle's AcquireAllIdle),
// so the next query takes the connection used least recently. With checks
// more frequent than the idle time, a pool queried one statement at a time
// (the monitor's) alternated between its two connections after any burst
// and closed neither: every server kept a third connection for good.
const (
	poolMaxConns          = 2
	poolMinConns          = 0
	poolMaxConnIdleTime   = 15 * time.Second
	poolMaxConnLifetime   = 30 * time.Minute
	poolHealthCheckPeriod = 20 * time.Second
)

// PoolKey identifies a cached pool: one per server, database and role.
type PoolKey struct {
	Host     string
	Port     int
	Database string
	User     string
}

// Key returns the PoolKey of this config.
func (c ConnConfig) Key() PoolKey {
	return PoolKey{Host: c.Host, Port: c.port(), Database: c.Database, User: c.User}
}

// PoolConfig builds a pgxpool config with slotkeeper's small pool sizing.
func (c ConnConfig) PoolConfig() (*pgxpool.Config, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, &Error{Reason: ReasonUnknown, Message: errMsgParseBase, Err: err}
	}
	if err := c.apply(&pc.ConnConfig.Config); err != nil {
		return nil, err
	}
	sizeCaches(pc.ConnConfig)
	pc.MaxConns, pc.MinConns = poolMaxConns, poolMinConns
	pc.MaxConnIdleTime = poolMaxConnIdleTime
	pc.MaxConnLifetime = poolMaxConnLifetime
	pc.HealthCheckPeriod = poolHealthCheckPeriod
	return pc, nil
}

type cachedPool struct {
	pool        *pgxpool.Pool
	fingerprint [sha256.Size]byte
}

// Pools caches one pool per PoolKey. A pool is replaced when the secret
// parts of the config (password, TLS settings, timeouts) change; those are
// compared through a keyed hash so no plaintext password sits in the cache.
type Pools struct {
	mu    sync.Mutex
	key   []byte // HMAC key, random per process
	pools map[PoolKey]cachedPool
	// maxConns overrides poolMaxConns when above zero.
	maxConns int32
}

// NewPools returns an empty cache. The zero Pools is usable too.
func NewPools() *Pools {
	return &Pools{key: newHMACKey(), pools: map[PoolKey]cachedPool{}}
}

// NewPoolsOf returns an empty cache whose pools hold up to n connections.
func NewPoolsOf(n int32) *Pools {
	p := NewPools()
	p.maxConns = n
	return p
}

func newHMACKey() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	return key
}

// fingerprint hashes every setting outside PoolKey that changes how a
// connection is made. Fields are length-prefixed so they cannot run together.
func (p *Pools) fingerprint(c ConnConfig) [sha256.Size]byte {
	mac := hmac.New(sha256.New, p.key)
	for _, f := range []string{
		c.Password, c.TLSMode, string(c.CACertPEM),
		c.ConnectTimeout.String(), c.StatementTimeout.String(), strings.Join(c.AuthMethods, ","),
	} {
		mac.Write([]byte(strconv.Itoa(len(f)) + ":" + f))
	}
	var sum [sha256.Size]byte
	copy(sum[:], mac.Sum(nil))
	return sum
}

// Get returns the cached pool for cfg, creating it on first use and
// replacing it when the password or TLS settings changed. Pools connect
// lazily, so Get does not fail on an unreachable server; the first query
// does, with a classified error. An invalid cfg leaves the cache untouched.
func (p *Pools) Get(ctx context.Context, cfg ConnConfig) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	key, fp := cfg.Key(), p.fingerprint(cfg)
	cur, cached := p.pools[key]
	if cached && cur.fingerprint == fp {
		return cur.pool, nil
	}
	pc, err := cfg.PoolConfig()
	if err != nil {
		return nil, err
	}
	if p.maxConns > 0 {
		pc.MaxConns = p.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, Classify(err)
	}
	if cached {
		// Close waits for borrowed connections; do not block Get on them.
		go cur.pool.Close()
	}
	p.pools[key] = cachedPool{pool: pool, fingerprint: fp}
	return pool, nil
}

// init makes the zero Pools usable; callers hold p.mu.
func (p *Pools) init() {
	if p.pools == nil {
		p.key, p.pools = newHMACKey(), map[PoolKey]cachedPool{}
	}
}

// Close closes and forgets the pool for key, if any.
func (p *Pools) Close(key PoolKey) {
	p.mu.Lock()
	cur, ok := p.pools[key]
	delete(p.pools, key)
	p.mu.Unlock()
	if ok {
		cur.pool.Close()
	}
}

// CloseUnless closes and forgets every pool whose key keep rejects, in
// the background: closing waits for connections in use to come back.
func (p *Pools) CloseUnless(keep func(PoolKey) bool) {
	p.mu.Lock()
	var gone []cachedPool
	for k, cur := range p.pools {
		if !keep(k) {
			gone = append(gone, cur)
			delete(p.pools, k)
		}
	}
	p.mu.Unlock()
	for _, cur := range gone {
		go cur.pool.Close()
	}
}

// CloseAll closes every cached pool, e.g. on operator shutdown.
func (p *Pools) CloseAll() {
	p.mu.Lock()
	all := p.pools
	p.pools = map[PoolKey]cachedPool{}
	p.mu.Unlock()
	for _, cur := range all {
		cur.pool.Close()
	}
}

// Len returns the number of cached pools.
func (p *Pools) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pools)
}
