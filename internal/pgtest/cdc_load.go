package pgtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	loadInterval = 2 * time.Millisecond  // at most ~500 rows/s: logs stay small
	loadRetry    = 20 * time.Millisecond // pause before reconnecting
)

// Load inserts rows with ids 1, 2, 3, ... into a table, one autocommitted
// INSERT per id, and records which inserts the client saw commit. A failed
// insert is not retried under the same id (it may have committed before the
// connection broke): the next id goes over a new connection, so an id that
// shows up twice in a consumer was really delivered twice.
//
// "Committed" means what the server acknowledged: pgtest's servers run with
// synchronous_commit = off, so a test that crashes a server and expects
// acknowledged rows to survive must set synchronous_commit (and
// synchronous_standby_names, for a standby to have them) itself.
type Load struct {
	sql        string
	connString func() string
	cancel     context.CancelFunc
	done       chan struct{}

	mu        sync.Mutex
	cond      *sync.Cond // signals changes of paused, parked and stopping
	paused    bool       // Pause asked for
	parked    bool       // the goroutine is waiting out a pause
	stopping  bool
	committed []int64
	failed    []int64
}

// StartLoad starts inserting into table of the server connString returns. It
// calls connString on every (re)connect, so a test can repoint the load, e.g.
// at a promoted standby. Connection errors are retried every 20ms until Stop.
func StartLoad(ctx context.Context, connString func() string, table string) *Load {
	ctx, cancel := context.WithCancel(ctx)
	l := &Load{
		sql:        `INSERT INTO ` + pgx.Identifier{table}.Sanitize() + `(id) VALUES ($1)`,
		connString: connString,
		cancel:     cancel,
		done:       make(chan struct{}),
	}
	l.cond = sync.NewCond(&l.mu)
	go l.run(ctx)
	return l
}

func (l *Load) run(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		closeConn(conn)
		l.finish()
		close(l.done)
	}()
	for id := int64(1); ; {
		stop, release := l.park(conn != nil)
		if release {
			closeConn(conn)
			conn = nil
			stop, _ = l.park(false)
		}
		if stop {
			return
		}
		if conn == nil {
			c, err := pgx.Connect(ctx, l.connString())
			if err != nil {
				if !sleepCtx(ctx, loadRetry) {
					return
				}
				continue
			}
			conn = c
		}
		_, err := conn.Exec(ctx, l.sql, id)
		l.record(id, err == nil)
		id++
		wait := loadInterval
		if err != nil {
			closeConn(conn)
			conn, wait = nil, loadRetry
		}
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

// park blocks while the load is paused and reports whether it is stopping.
// A paused load holds no connection, as the test may restart or repoint the
// server meanwhile: when holding one, park returns release instead of
// blocking, and the caller closes it and parks again.
func (l *Load) park(holding bool) (stop, release bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.paused && !l.stopping && holding {
		return false, true
	}
	if l.paused && !l.stopping {
		l.parked = true
		l.cond.Broadcast()
		for l.paused && !l.stopping {
			l.cond.Wait()
		}
		l.parked = false
	}
	return l.stopping, false
}

// finish marks the load stopped even when its context ended without Stop,
// so that Pause never waits for a goroutine that is gone.
func (l *Load) finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopping = true
	l.cond.Broadcast()
}

func (l *Load) record(id int64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		l.committed = append(l.committed, id)
	} else {
		l.failed = append(l.failed, id)
	}
}

// Pause stops inserting and returns once no insert is in flight, so
// Committed stays put until Resume. It may wait for a connection attempt
// (connect_timeout) or a blocked insert to end.
func (l *Load) Pause() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paused = true
	for !l.parked && !l.stopping {
		l.cond.Wait()
	}
}

// Resume continues a paused load on a new connection.
func (l *Load) Resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paused = false
	l.cond.Broadcast()
}

// Committed returns how many inserts have committed so far.
func (l *Load) Committed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.committed)
}

// Failed returns the ids whose insert returned an error, including one cut
// short by Stop. Each may or may not have committed, so a consumer may
// legitimately hold them (CompareIDs reports them as extra).
func (l *Load) Failed() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.failed)
}

// Stop ends the load and returns the ids the client saw committed, in
// ascending order. It may be called more than once.
func (l *Load) Stop() []int64 {
	l.mu.Lock()
	l.stopping = true
	l.cond.Broadcast()
	l.mu.Unlock()
	l.cancel() // also interrupts an insert or connection attempt in flight
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.committed)
}

// closeConn closes conn, giving up on a polite goodbye to a server that
// does not answer (the test may have frozen or cut it).
func closeConn(conn *pgx.Conn) {
	if conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}
}

// sleepCtx sleeps for d and reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
