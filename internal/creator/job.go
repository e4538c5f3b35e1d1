package creator

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// creationTimeout is the statement timeout of a creation: long, because a
// creation legitimately waits for transactions; cancellation comes from the
// operator (object deleted, operator stopping).
const creationTimeout = 24 * time.Hour

// State is what status shows of a creation.
type State struct {
	Started time.Time
	// Queued is true until a connection slot for the server is free.
	Queued     bool
	Done       bool
	FinishedAt time.Time
	LSN        postgres.LSN
	// Row is the new slot as read right after its creation, on the same
	// connection; nil when that read failed.
	Row *postgres.Slot
	Err error
	// Blockers are the transactions the creation waits for, oldest first.
	Blockers      []postgres.Blocker
	SnapshotCalls int
	SnapshotErr   error
	// Terminated lists blockers ended because of TerminateAfter; Refused
	// those PostgreSQL would not let the operator end.
	Terminated, Refused []postgres.Blocker
	// TerminateNote says why blockers due for termination were left
	// running ("" when none were).
	TerminateNote string
	// Recreate, From, FromTimeline and Circumstances come from the request.
	Recreate, From, Circumstances string
	FromTimeline                  int64
	OnStandby, Ahead              bool
	// Host and Port are the member the creation runs on (Request.Conn's):
	// the object's target can have moved since it began.
	Host string
	Port int
}

type job struct {
	req    Request
	pools  *postgres.Pools
	lane   *lane
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex
	st State
	// awaited counts reconciles waiting for this creation (Await): they
	// see its state when they stop waiting, so it does not wake them.
	awaited int
	// handled holds blockers already terminated or refused; only the
	// watcher goroutine uses it.
	handled map[session]bool
}

func newJob(req Request, pools *postgres.Pools, l *lane) *job {
	return &job{req: req, pools: pools, lane: l, done: make(chan struct{}), st: State{Started: time.Now(), Queued: true,
		Recreate: req.Recreate, From: req.From, FromTimeline: req.FromTimeline, Circumstances: req.Circumstances, OnStandby: req.OnStandby, Ahead: req.Ahead,
		Host: req.Conn.Host, Port: req.Conn.Port},
		handled: map[session]bool{}}
}

func (j *job) state() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := j.st
	st.Blockers = slices.Clone(st.Blockers)
	st.Terminated, st.Refused = slices.Clone(st.Terminated), slices.Clone(st.Refused)
	return st
}

// waitedLonger: the creation has had its connection, and waited for
// PostgreSQL, for longer than d. Read in place, without the copy state()
// makes, since Await asks it of every creation.
func (j *job) waitedLonger(d time.Duration) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return !j.st.Done && !j.st.Queued && time.Since(j.st.Started) > d
}

func (j *job) update(f func(*State)) {
	j.mu.Lock()
	f(&j.st)
	wake := j.awaited == 0
	j.mu.Unlock()
	if wake && j.req.Wake != nil {
		j.req.Wake()
	}
}

func (j *job) cancelAndWait() {
	j.mu.Lock()
	cancel := j.cancel
	j.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	<-j.done
}

// run waits for a free lane and a connection, creates the slot and watches
// the wait until the creation ends.
func (j *job) run(parent context.Context, sem chan struct{}) {
	defer close(j.done)
	ctx, cancel := context.WithCancel(parent)
	j.mu.Lock()
	j.cancel = cancel
	j.mu.Unlock()
	defer cancel()
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		// Still queued: no statement was sent.
		j.finish(0, nil, postgres.NotSent(ctx.Err()))
		return
	}
	lsn, row, err := j.create(ctx)
	j.finish(lsn, row, err)
}

func (j *job) create(ctx context.Context) (postgres.LSN, *postgres.Slot, error) {
	cfg := j.req.Conn
	cfg.StatementTimeout = creationTimeout
	pool, err := j.pools.Get(ctx, cfg)
	if err != nil {
		return 0, nil, postgres.NotSent(err)
	}
	// A cancelled creation closes its connection, and the pool drops it.
	// A creation counts as queued until it has a connection: only then
	// does it wait for PostgreSQL, and only that wait is shown as blocked.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, nil, postgres.NotSent(err)
	}
	defer conn.Release()
	j.update(func(s *State) { s.Queued, s.Started = false, time.Now() })
	j.lane.enter(j)
	defer j.lane.leave(j)
	if j.req.Physical {
		return j.createPhysical(ctx, conn)
	}
	return j.createOn(ctx, conn)
}

// createPhysical creates a physical slot and reads its row in one round
// trip; its LSN is where the slot keeps WAL from. A bulk creation reads no
// row: each read scans every slot of the server, and the monitor's next
// poll lists them all at once.
func (j *job) createPhysical(ctx context.Context, conn *pgxpool.Conn) (postgres.LSN, *postgres.Slot, error) {
	if j.req.Ahead {
		lsn, err := postgres.CreatePhysicalSlot(ctx, conn, j.req.Options.Name, j.req.ReserveWAL)
		return lsn, nil, err
	}
	row, err := postgres.CreatePhysicalSlotRow(ctx, conn, j.req.VersionNum, j.req.Options.Name, j.req.ReserveWAL)
	if err != nil || row == nil || row.RestartLSN == nil {
		return 0, row, err
	}
	return *row.RestartLSN, row, nil
}

// createOn runs the creation on conn and watches what it waits for on every
// tick until it ends.
func (j *job) createOn(ctx context.Context, conn *pgxpool.Conn) (postgres.LSN, *postgres.Slot, error) {
	type result struct {
		lsn postgres.LSN
		row *postgres.Slot
		err error
	}
	done := make(chan result, 1)
	go func() {
		lsn, err := postgres.CreateLogicalSlot(ctx, conn, j.req.VersionNum, j.req.Options)
		var row *postgres.Slot
		if err == nil && !j.req.Ahead {
			// Read back here, where the connection is at hand, rather
			// than in the reconcile through the shared maintenance pool.
			row, _ = postgres.GetSlot(ctx, conn, j.req.VersionNum, j.req.Options.Name)
		}
		done <- result{lsn, row, err}
	}()
	tick := time.NewTicker(j.interval())
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			return r.lsn, r.row, r.err
		case <-tick.C:
			j.watch(ctx)
		}
	}
}

func (j *job) finish(lsn postgres.LSN, row *postgres.Slot, err error) {
	j.update(func(s *State) {
		s.Done, s.FinishedAt, s.LSN, s.Row, s.Err, s.Blockers = true, time.Now(), lsn, row, err, nil
	})
}

func (j *job) interval() time.Duration {
	if j.req.Interval > 0 {
		return j.req.Interval
	}
	return time.Second
}
