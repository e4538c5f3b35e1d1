package patroni

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// freshFor is how long a configuration read or written counts as current
// for deciding that a slot is covered without asking again; the server
// reconcile reads it again about twice a minute.
const freshFor = time.Minute

// Keeper keeps slotkeeper's ignore_slots entries of one Patroni cluster.
// Calls are serialised: the list is replaced whole on every write, so two
// read-modify-writes at once would lose one of them.
type Keeper struct {
	mu     sync.Mutex
	client *Client
	key    string
	last   map[string]any
	lastAt time.Time
	// writeErr is the last refused write or fresh read (both need write
	// rights), cleared by a successful one: the server reconcile only
	// reads, and must still report that slotkeeper may not write.
	writeErr error
}

// Observe reads the configuration, unless one was read or written less
// than `within` ago; the server reconcile calls it to report coverage and
// to notice entries removed behind slotkeeper's back, and runs on every
// change the monitor sees, which must not each cost a REST call.
func (k *Keeper) Observe(ctx context.Context, within time.Duration) (map[string]any, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.last != nil && time.Since(k.lastAt) < within {
		return k.last, nil
	}
	return k.read(ctx)
}

// WriteErr is the last refused write, nil once one succeeds.
func (k *Keeper) WriteErr() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.writeErr
}

// Info reads Patroni's version and scope.
func (k *Keeper) Info(ctx context.Context) (Info, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.client.GetInfo(ctx)
}

func (k *Keeper) read(ctx context.Context) (map[string]any, error) {
	cfg, err := k.client.GetConfig(ctx)
	if err == nil {
		k.last, k.lastAt = cfg, time.Now()
	}
	return cfg, err
}

// Covers reports whether Patroni leaves s alone: from the configuration
// last seen when it is fresh and covers s, else from a fresh read.
func (k *Keeper) Covers(ctx context.Context, s Slot) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.last != nil && time.Since(k.lastAt) < freshFor && Covered(k.last, s) {
		return true, nil
	}
	cfg, err := k.readFresh(ctx)
	if err != nil {
		return false, err
	}
	return Covered(cfg, s), nil
}

// Ensure makes Patroni leave s alone, adding slotkeeper's entry when
// nothing covers it yet; wrote says it did. The write is checked against
// the configuration Patroni answers with, which is the one it stored.
func (k *Keeper) Ensure(ctx context.Context, s Slot) (wrote bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cfg, err := k.readFresh(ctx)
	if err != nil {
		return false, err
	}
	if Covered(cfg, s) {
		return false, nil
	}
	if err := k.noteWrite(k.write(ctx, cfg, []Slot{s}, nil)); err != nil {
		return false, err
	}
	return true, nil
}

// readFresh reads what the DCS holds now, for a read-modify-write: the
// copy GET /config answers from can be up to loop_wait old and miss a
// change somebody just made.
func (k *Keeper) readFresh(ctx context.Context) (map[string]any, error) {
	cfg, err := k.client.ReadFresh(ctx)
	if err != nil {
		return nil, k.noteWrite(err)
	}
	k.writeErr = nil // it needs the rights a write needs
	k.last, k.lastAt = cfg, time.Now()
	return cfg, nil
}

// noteWrite remembers a refused write for WriteErr; unreachability is
// Observe's own to find.
func (k *Keeper) noteWrite(err error) error {
	var pe *Error
	switch {
	case err == nil:
		k.writeErr = nil
	case errors.As(err, &pe) && pe.Kind != KindUnreachable:
		k.writeErr = err
	}
	return err
}

// Remove deletes slotkeeper's entry for s, and only that entry.
func (k *Keeper) Remove(ctx context.Context, s Slot) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	cfg, err := k.readFresh(ctx)
	if err != nil {
		return err
	}
	return k.noteWrite(k.write(ctx, cfg, nil, []Slot{s}))
}

// write adds and removes slotkeeper's entries in cfg's list, read fresh
// from the DCS just before, and writes it when it changed.
func (k *Keeper) write(ctx context.Context, cfg map[string]any, add, remove []Slot) error {
	list, changed := Merge(IgnoreSlots(cfg), add, remove)
	if !changed {
		return nil
	}
	if list == nil {
		list = []any{}
	}
	got, err := k.client.PatchConfig(ctx, map[string]any{"ignore_slots": list})
	if err != nil {
		return err
	}
	k.last, k.lastAt = got, time.Now()
	return verify(got, add, remove)
}

func verify(cfg map[string]any, add, remove []Slot) error {
	for _, s := range add {
		if !Covered(cfg, s) {
			return &Error{Kind: KindRefused, Message: "Patroni answered the write with a configuration whose ignore_slots does not cover " + s.Name}
		}
	}
	for _, s := range remove {
		if HasEntry(cfg, s) {
			return &Error{Kind: KindRefused, Message: "Patroni answered the write with slotkeeper's entry for " + s.Name + " still in ignore_slots"}
		}
	}
	return nil
}

// Registry holds one Keeper per PostgresServer with spec.patroni.
type Registry struct {
	mu      sync.Mutex
	keepers map[types.NamespacedName]*Keeper
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{keepers: map[types.NamespacedName]*Keeper{}}
}

// Configure returns the server's keeper for these settings, replacing it
// when the settings changed (URLs, credentials, CA).
func (r *Registry) Configure(key types.NamespacedName, s Settings, fingerprint string) (*Keeper, error) {
	if r == nil {
		return nil, &Error{Kind: KindRefused, Message: "the operator runs without Patroni support"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.keepers[key]; k != nil && k.key == fingerprint {
		return k, nil
	}
	c, err := NewClient(s)
	if err != nil {
		return nil, err
	}
	if k := r.keepers[key]; k != nil {
		// The same keeper, so one lock keeps serialising the writes of
		// reconciles that still hold it.
		k.reset(c, fingerprint)
		return k, nil
	}
	k := &Keeper{client: c, key: fingerprint}
	r.keepers[key] = k
	return k, nil
}

// Get returns the server's keeper, nil when none is configured.
func (r *Registry) Get(key types.NamespacedName) *Keeper {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keepers[key]
}

// Remove forgets the server's keeper.
func (r *Registry) Remove(key types.NamespacedName) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.keepers[key]; k != nil {
		k.client.Close()
		delete(r.keepers, key)
	}
}

// reset points the keeper at new settings and forgets what the old ones saw.
func (k *Keeper) reset(c *Client, fingerprint string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.client.Close()
	k.client, k.key, k.last, k.writeErr = c, fingerprint, nil, nil
}
