package main

import (
	"context"
	"sync"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// persistWatch records when a slot on srv is first a persistent
// synchronized copy (synced, not temporary), read every 10 ms over one
// connection: a new connection each time would wake the standby's
// postmaster, which is what starts its slot sync worker, and so change
// what is measured.
type persistWatch struct {
	mu     sync.Mutex
	at     time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func watchPersisted(ctx context.Context, srv *pgtest.Server, slot string) (*persistWatch, error) {
	conn, err := srv.Connect(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &persistWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer conn.Close(context.Background())
		for ctx.Err() == nil {
			var n int
			err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND synced AND NOT temporary", slot).Scan(&n)
			if err == nil && n > 0 {
				w.mu.Lock()
				w.at = time.Now()
				w.mu.Unlock()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return w, nil
}

// stop ends the watch and returns when the copy was first seen persistent
// (zero when it was not).
func (w *persistWatch) stop() time.Time {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}
