package slot

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// nudgeEvery spaces the nudges of one standby: each one that cannot make
// the copy writes a line to the standby's log, and one that meets the
// worker as it starts makes it exit again (PostgreSQL allows one
// synchronization at a time). PostgreSQL restarts an exited worker no
// sooner than 10 s after its last start (SLOTSYNC_RESTART_INTERVAL_SEC),
// so a nudge every 5 s wakes the postmaster at most 5 s after that.
const nudgeEvery = 5 * time.Second

// nudgeMaxEvery bounds the spacing of nudges that keep finding the worker
// down (nudgeInterval).
const nudgeMaxEvery = time.Minute

// nudgeInterval spaces the next nudge of a standby after fruitless nudges
// in a row: ones that left the copy pending, whether they woke the
// postmaster or PostgreSQL refused them. The first two are nudgeEvery
// apart, since the worker's 10 s restart interval takes two; then the
// spacing doubles, up to nudgeMaxEvery: a worker that does not start by
// then (no background worker slot free, say) is not started by nudging,
// one that runs needs no nudge, and each nudge writes to the standby's
// log.
func nudgeInterval(fruitless int) time.Duration {
	d := nudgeEvery
	for i := 2; i < fruitless && d < nudgeMaxEvery; i++ {
		d *= 2
	}
	return min(d, nudgeMaxEvery)
}

// standbyKey names one member of one server. One synchronization covers
// every failover slot of the standby, so its nudges are spaced per
// standby, not per object.
type standbyKey struct {
	server types.NamespacedName
	member string
}

// nudgeSync helps a 17+ standby whose slot sync worker is switched on but
// whose copy is missing or temporary. The worker exits on errors (a former
// primary's stale slot, say) and the postmaster starts it again no sooner
// than 10 s later, and only when something wakes the postmaster: on a
// quiet standby, a minute.
//
// First it runs one synchronization (pg_sync_replication_slots). On a
// quiet primary that makes the copy at once. Under writes it usually
// cannot: the copy it makes starts at the standby's newest catalog xmin,
// the primary's slot is behind that until its consumer decodes the next
// running-xacts record, and the call drops the temporary copy it could
// not persist. Refreshing the monitor then, as this once did, woke the
// object and nudged again four times a second for as long as the writes
// went on. So the monitor is refreshed only for a copy the call made
// persistent; otherwise a new connection wakes the postmaster, which
// starts the worker, and the worker keeps its temporary copy across cycles
// until the primary's slot has passed it (snapshotForSync hurries that).
// While the worker runs PostgreSQL refuses the call and nothing happens.
// A failure leaves the wait to the worker, so it is not reported.
func (r *Reconciler) nudgeSync(ctx context.Context, sc *slotScope, m *observation.Member) {
	now, key := time.Now(), standbyKey{sc.serverKey, m.Addr()}
	fruitless := r.fruitlessNudges(key, now)
	if !observation.SyncWorkerOn(m) || !claimDue(&r.syncNudges, key, nudgeInterval(fruitless), now) {
		return
	}
	sweepDue(&r.syncNudges, 2*nudgeMaxEvery, now, &r.syncFruitless)
	pool, err := r.Conns.Pool(ctx, sc.serverKey, m.Endpoint, "")
	if err != nil {
		return
	}
	busy, err := postgres.SyncSlotsNow(ctx, pool)
	if err != nil {
		return
	}
	if busy {
		// The worker runs (PostgreSQL's refusal can also be a slot of the
		// name it will not replace): nudging does nothing until it stops.
		r.syncFruitless.Store(key, fruitless+1)
		return
	}
	if row, err := postgres.GetSlot(ctx, pool, m.Identity.VersionNum, sc.name); err == nil && row != nil && row.Synced && !row.Temporary {
		r.syncFruitless.Delete(key)
		r.Monitor.Refresh(sc.serverKey)
		return
	}
	r.wakePostmaster(ctx, sc, m)
	r.syncFruitless.Store(key, fruitless+1)
	// A poll a second later shows the worker's temporary copy, if it
	// started, so that snapshotForSync writes the record it waits for
	// before the worker's naps have grown. It may still be inside its
	// restart interval: the next nudge wakes the postmaster again, whether
	// or not a poll has news for the object by then.
	serverKey, obj := sc.serverKey, client.ObjectKeyFromObject(sc.rs)
	time.AfterFunc(time.Second, func() { r.Monitor.Refresh(serverKey) })
	time.AfterFunc(nudgeInterval(fruitless+1), func() { r.Monitor.Wake(obj) })
}

// fruitlessNudges is how many nudges in a row left key's copy pending. A
// count whose last nudge is older than any spacing is from an earlier
// episode (the copy went persistent with no nudge to see it): it starts
// again at 0, so the next rejoin is nudged every 5 s again.
func (r *Reconciler) fruitlessNudges(key standbyKey, now time.Time) int {
	last, ok := r.syncNudges.Load(key)
	if !ok || now.Sub(last.(time.Time)) >= 2*nudgeMaxEvery {
		r.syncFruitless.Delete(key)
		return 0
	}
	if v, ok := r.syncFruitless.Load(key); ok {
		return v.(int)
	}
	return 0
}

// wakePostmaster opens and closes one connection to member m: accepting
// it, the postmaster runs its loop, which starts the slot sync worker when
// its restart interval has passed. The connection is made with the
// server's own settings (TLS, allowed authentication), as every other.
func (r *Reconciler) wakePostmaster(ctx context.Context, sc *slotScope, m *observation.Member) {
	cfg, ok := r.Conns.ConnConfig(sc.serverKey, m.Endpoint, "")
	if !ok {
		return
	}
	if conn, err := postgres.Connect(ctx, cfg); err == nil {
		_ = conn.Close(ctx)
	}
}

// claimDue claims key's next turn in last when its previous one is at
// least every old; concurrent callers get one turn between them.
func claimDue(last *sync.Map, key any, every time.Duration, now time.Time) bool {
	for {
		v, loaded := last.LoadOrStore(key, now)
		if !loaded {
			return true
		}
		prev := v.(time.Time)
		if now.Sub(prev) < every {
			return false
		}
		if last.CompareAndSwap(key, prev, now) {
			return true
		}
	}
}

// sweepDue forgets the turns in last older than every, which must be
// longer than any spacing claimDue is asked for (so a turn that old is as
// good as none), and the same keys in also: a standby's key changes with
// its address, and Pods rescheduled over months would otherwise leave one
// entry each.
func sweepDue(last *sync.Map, every time.Duration, now time.Time, also ...*sync.Map) {
	last.Range(func(key, v any) bool {
		if prev := v.(time.Time); now.Sub(prev) >= every && last.CompareAndDelete(key, prev) {
			for _, m := range also {
				m.Delete(key)
			}
		}
		return true
	})
}
