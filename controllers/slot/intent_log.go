package slot

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// intentLog keeps the creation intents of a server's slots in its
// PostgresServer's status (status.creationIntents), where no user can
// write. The creations that run at the same time share one merge patch:
// a batch of a thousand new slots costs about one write per worker round
// instead of one per slot.
type intentLog struct {
	// write applies a merge patch to a PostgresServer's status.
	write func(ctx context.Context, server types.NamespacedName, patch []byte) error
	// settle is how long a removal alone waits for company.
	settle time.Duration

	mu      sync.Mutex
	servers map[types.NamespacedName]*serverIntents
}

// serverIntents is one server's share of the log.
type serverIntents struct {
	// pending: the entries of the next write.
	pending map[types.UID]intentChange
	waiters []chan error
	// flushing: a goroutine is writing; it takes what is pending next.
	flushing bool
	// timed: a flush of removals alone is due after settle.
	timed bool
	// written: entries this process wrote and has not removed.
	written map[types.UID]string
	// forgotten: entries this process removed because the creation
	// certainly made no slot, kept until the cached server shows the
	// removal too, so a stale cache cannot bring the intent back.
	forgotten map[types.UID]bool
}

// intentChange is one entry of a write: a slot name to set, or a removal
// (forget: because the creation certainly made no slot).
type intentChange struct {
	slot   string
	forget bool
}

// intentWriteTimeout bounds one shared write.
const intentWriteTimeout = 30 * time.Second

func newIntentLog(write func(context.Context, types.NamespacedName, []byte) error) *intentLog {
	return &intentLog{write: write, settle: time.Second, servers: map[types.NamespacedName]*serverIntents{}}
}

// Record makes the intent durable: it returns once the write that carries
// it has succeeded.
func (l *intentLog) Record(ctx context.Context, server types.NamespacedName, uid types.UID, slot string) error {
	return l.await(ctx, l.enqueue(server, uid, intentChange{slot: slot}, true))
}

// Forget removes an intent durably: the creation certainly made no slot,
// so a slot found later under the name is not this object's.
func (l *intentLog) Forget(ctx context.Context, server types.NamespacedName, uid types.UID) error {
	return l.await(ctx, l.enqueue(server, uid, intentChange{forget: true}, true))
}

// Done removes an intent whose object's status now records the slot. The
// removal waits for the next write, or settle, whichever comes first: an
// entry left behind is harmless (its object owns the slot anyway).
func (l *intentLog) Done(server types.NamespacedName, uid types.UID) {
	if l == nil {
		return
	}
	l.enqueue(server, uid, intentChange{}, false)
}

func (l *intentLog) await(ctx context.Context, done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue adds an entry to the server's next write and starts a writer if
// none runs; a removal nobody waits for gives others settle to join it.
func (l *intentLog) enqueue(server types.NamespacedName, uid types.UID, c intentChange, wait bool) <-chan error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.serverOf(server)
	s.pending[uid] = c
	var done chan error
	if wait {
		done = make(chan error, 1)
		s.waiters = append(s.waiters, done)
	}
	switch {
	case s.flushing:
	case wait:
		s.flushing = true
		go l.flush(server)
	case !s.timed:
		s.timed = true
		time.AfterFunc(l.settle, func() { l.flushDue(server) })
	}
	return done
}

// flushDue writes the removals left pending after settle, unless a write
// took them meanwhile or is under way.
func (l *intentLog) flushDue(server types.NamespacedName) {
	l.mu.Lock()
	s := l.servers[server]
	s.timed = false
	if s.flushing || len(s.pending) == 0 {
		l.mu.Unlock()
		return
	}
	s.flushing = true
	l.mu.Unlock()
	l.flush(server)
}

func (l *intentLog) serverOf(server types.NamespacedName) *serverIntents {
	s := l.servers[server]
	if s == nil {
		s = &serverIntents{pending: map[types.UID]intentChange{}, written: map[types.UID]string{}, forgotten: map[types.UID]bool{}}
		l.servers[server] = s
	}
	return s
}

// flush writes what is pending, one patch at a time, until nothing is.
func (l *intentLog) flush(server types.NamespacedName) {
	for {
		l.mu.Lock()
		s := l.servers[server]
		if len(s.pending) == 0 {
			s.flushing = false
			l.mu.Unlock()
			return
		}
		batch, waiters := s.pending, s.waiters
		s.pending, s.waiters = map[types.UID]intentChange{}, nil
		l.mu.Unlock()
		err := l.writeBatch(server, batch)
		l.mu.Lock()
		if err == nil {
			s.settle(batch)
		}
		l.mu.Unlock()
		for _, w := range waiters {
			w <- err
		}
	}
}

func (l *intentLog) writeBatch(server types.NamespacedName, batch map[types.UID]intentChange) error {
	ctx, cancel := context.WithTimeout(context.Background(), intentWriteTimeout)
	defer cancel()
	return l.write(ctx, server, intentPatch(batch))
}

// settle records what a successful write made durable.
func (s *serverIntents) settle(batch map[types.UID]intentChange) {
	for uid, c := range batch {
		delete(s.written, uid)
		delete(s.forgotten, uid)
		switch {
		case c.slot != "":
			s.written[uid] = c.slot
		case c.forget:
			s.forgotten[uid] = true
		}
	}
}

// intentPatch is the merge patch of a batch: a slot name sets an entry,
// null removes one.
func intentPatch(batch map[types.UID]intentChange) []byte {
	entries := make(map[string]*string, len(batch))
	for uid, c := range batch {
		entries[string(uid)] = nil
		if c.slot != "" {
			entries[string(uid)] = &c.slot
		}
	}
	b, _ := json.Marshal(map[string]any{"status": map[string]any{"creationIntents": entries}})
	return b
}

// Has says whether the object uid holds a durable intent to create slot on
// server. What this process wrote or forgot decides; otherwise the cached
// server's status, which after a restart holds what earlier processes
// wrote.
func (l *intentLog) Has(server types.NamespacedName, uid types.UID, slot string, cached map[string]string) bool {
	if l != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if s := l.servers[server]; s != nil {
			if name, ok := s.written[uid]; ok {
				return name == slot
			}
			if s.forgotten[uid] {
				if _, still := cached[string(uid)]; !still {
					delete(s.forgotten, uid)
				}
				return false
			}
		}
	}
	return cached[string(uid)] == slot && slot != ""
}
