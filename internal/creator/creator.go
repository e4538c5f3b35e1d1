// Package creator runs logical slot creations in the background. A creation
// can wait a long time — for the transactions running when it started, or on
// a standby for a running-xacts record from the primary — and must never
// hold a reconcile worker. While it waits, a watcher names the blockers,
// forces standby snapshots on the primary and, if asked, terminates blockers.
package creator

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// perServer bounds concurrent creations against one server: each holds a
// connection for as long as it waits. The server's pools hold as many per
// database, so a creation that has a lane has a connection.
const perServer = 4

// poolLinger is how long a server's pools outlive its last creation: the
// creations of a failover or a batch come one reconcile at a time, and
// closing the pools whenever none ran made nearly every creation open and
// authenticate a connection of its own.
const poolLinger = 2 * time.Second

// Request describes one creation.
type Request struct {
	// Server and Slot identify the PostgresServer and the ReplicationSlot.
	Server, Slot types.NamespacedName
	// Conn reaches the member that will hold the slot, in the slot's database.
	Conn       postgres.ConnConfig
	VersionNum int
	Options    postgres.LogicalSlotOptions
	// Target gives a connection pool for blocker queries on the member;
	// Primary one for the standby snapshot (and, for a creation on a
	// standby, the blocker query). Getters, not pools: a pool is replaced
	// when credentials rotate.
	Target, Primary func(context.Context) (postgres.Querier, error)
	OnStandby       bool
	// Snapshot enables pg_log_standby_snapshot() every Interval.
	Snapshot bool
	Interval time.Duration
	// TerminateAfter > 0 terminates a blocker once it has blocked the
	// creation that long: the creation has waited, and the blocker's
	// transaction has run, for at least TerminateAfter. The caller sets it
	// only where the PostgresServer allows terminations.
	TerminateAfter time.Duration
	// Wake is called when the state changed in a way status shows.
	Wake func()
	// Recreate is the data-gap reason when the slot is created again ("" for
	// a first creation), From the last confirmed position before, and
	// FromTimeline the timeline it was confirmed on.
	Recreate, From string
	FromTimeline   int64
	// Circumstances is an opaque summary of the member when the creation
	// began (rights, settings, restarts); a failed creation is retried at
	// once when they change instead of after its hold.
	Circumstances string
	// Physical creates a physical slot named Options.Name (Conn reaches
	// the maintenance database), reserving WAL when ReserveWAL is set. It
	// never waits inside PostgreSQL, so nothing watches it.
	Physical, ReserveWAL bool
	// Ahead marks a creation begun for the object by a failover's bulk
	// recreation rather than by its own reconcile. Its state carries no
	// row: reading one per slot would scan every slot of the server each
	// time, while the caller can find them all in the monitor's next poll.
	Ahead bool
	// UID is the object's: once its deletion has closed it (Close), no
	// creation for it begins, whoever asks.
	UID types.UID
}

// Creator keeps at most one creation per ReplicationSlot. It is a
// manager.Runnable: creations live as long as the operator's leadership.
type Creator struct {
	mu   sync.Mutex
	ctx  context.Context
	jobs map[types.NamespacedName]*job
	sems map[types.NamespacedName]chan struct{}
	// lanes hold, per server, the creations that have their connection.
	lanes map[types.NamespacedName]*lane
	// ahead holds, per server, the bulk creations not yet seen ended
	// (pendingAhead).
	ahead map[types.NamespacedName][]*job
	// pools hold the creations' connections, per server: reused, since a
	// fresh authenticated connection per slot costs more than most
	// creations, and apart from the monitor's pools because they carry no
	// statement timeout.
	pools map[types.NamespacedName]*postgres.Pools
	// running counts the creations under way per server; the server's
	// pools and lane are let go poolLinger after it drops to zero, so a
	// deleted or re-pointed server leaves no connections or health checks
	// behind.
	running map[types.NamespacedName]int
	// closed holds, by object UID, when its deletion closed it (Close).
	closed map[types.UID]time.Time
}

// Start records the operator's lifetime and cancels every creation at its
// end.
func (c *Creator) Start(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	<-ctx.Done()
	c.mu.Lock()
	jobs := c.jobs
	c.jobs = map[types.NamespacedName]*job{}
	c.ahead = map[types.NamespacedName][]*job{}
	c.mu.Unlock()
	for _, j := range jobs {
		j.cancelAndWait()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pools {
		p.CloseAll()
	}
	return nil
}

// NeedLeaderElection: only the leader creates slots.
func (c *Creator) NeedLeaderElection() bool { return true }

// New returns an empty Creator.
func New() *Creator {
	return &Creator{jobs: map[types.NamespacedName]*job{}, sems: map[types.NamespacedName]chan struct{}{},
		lanes: map[types.NamespacedName]*lane{}, ahead: map[types.NamespacedName][]*job{},
		pools: map[types.NamespacedName]*postgres.Pools{}, running: map[types.NamespacedName]int{}, closed: map[types.UID]time.Time{}}
}

// Begin starts a creation unless one is already known for the slot. It
// reports false when the Creator is not running, or when the object's
// deletion has closed it.
func (c *Creator) Begin(req Request) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil || c.ctx.Err() != nil {
		return false
	}
	if _, ok := c.jobs[req.Slot]; ok {
		return true
	}
	if _, ok := c.closed[req.UID]; ok && req.UID != "" {
		return false
	}
	sem, ok := c.sems[req.Server]
	if !ok {
		sem = make(chan struct{}, perServer)
		c.sems[req.Server], c.lanes[req.Server] = sem, newLane()
	}
	pools, ok := c.pools[req.Server]
	if !ok {
		pools = postgres.NewPoolsOf(perServer)
		c.pools[req.Server] = pools
	}
	j := newJob(req, pools, c.lanes[req.Server])
	c.jobs[req.Slot] = j
	if req.Ahead {
		c.ahead[req.Server] = append(c.ahead[req.Server], j)
	}
	c.running[req.Server]++
	go func() {
		j.run(c.ctx, sem)
		c.ended(req.Server)
	}()
	return true
}

// ended lets a server's pools and lane go poolLinger after its last
// running creation, unless another began meanwhile.
func (c *Creator) ended(server types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running[server]--
	if c.running[server] > 0 {
		return
	}
	pools := c.pools[server]
	time.AfterFunc(poolLinger, func() { c.release(server, pools) })
}

// release closes a server's pools if no creation runs there and they are
// still the server's.
func (c *Creator) release(server types.NamespacedName, pools *postgres.Pools) {
	c.mu.Lock()
	if c.running[server] > 0 || c.pools[server] != pools {
		c.mu.Unlock()
		return
	}
	delete(c.running, server)
	delete(c.pools, server)
	delete(c.sems, server)
	delete(c.lanes, server)
	delete(c.ahead, server)
	c.mu.Unlock()
	if pools != nil {
		pools.CloseAll()
	}
}

// Servers reports how many servers the Creator holds pools for.
func (c *Creator) Servers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pools)
}
