package slot

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/connections"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/ownwrites"
	"github.com/slotkeeper/slotkeeper/internal/patroni"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// figureRefresh is how often LSN and byte figures are rewritten in status
// when nothing else changed; live figures belong to metrics.
const figureRefresh = 30 * time.Second

// Reconciler creates, adopts, observes and drops slots.
type Reconciler struct {
	client.Client
	Monitor *monitor.Manager
	// Conns reaches the servers' members, with their current credentials.
	Conns    *connections.Registry
	Creator  *creator.Creator
	Recorder events.EventRecorder
	// ActionTimeout bounds one SQL action (create, drop).
	ActionTimeout time.Duration
	// Patroni holds the REST clients of servers with spec.patroni, shared
	// with the server reconciler.
	Patroni *patroni.Registry

	written *ownwrites.Cache[api.ReplicationSlotStatus]
	// forks caches where a timeline forked off its parent (forkKey to
	// postgres.LSN): a timeline's history never changes.
	forks sync.Map
	// ahead holds one *sync.Once per promotion (aheadKey): the bulk
	// recreation of the slots it lost runs once.
	ahead sync.Map
	// drops holds what this process knows of each deletion's DROP
	// (dropMemo by object key, dropOnce) until the object leaves the cache.
	drops sync.Map
	// syncSnapshots holds, by server, when this process last wrote a
	// running-xacts record for a temporary synchronized copy
	// (snapshotForSync).
	syncSnapshots sync.Map
	// syncNudges holds, by standby (standbyKey), when this process last
	// nudged its slot synchronization (nudgeSync).
	syncNudges sync.Map
	// syncFruitless holds, by standby, how many nudges in a row found its
	// slot sync worker down (nudgeInterval).
	syncFruitless sync.Map
	// heldMissing holds, by object key, the missingSpan of an object that
	// leaves a missing slot to another namespace's holder (yieldToHolder).
	heldMissing sync.Map
	// intentClean holds, by object key, the UID of an object whose
	// creation intent this process wrote and under which no creation has
	// ended uncertain since (dropIntent).
	intentClean sync.Map
	// lost holds, by object key, the lostSlot of an owned slot this
	// process found missing and has not seen made again since (newcomer).
	lost sync.Map
	// madeOn holds, by object key, the member (madeSlot) where this
	// process last created the object's slot: a status write that failed
	// after the creation must not leave it judged as somebody else's on a
	// moved object's new member (moveHost).
	madeOn sync.Map
}

// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=replicationslots,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=replicationslots/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=pg.slotkeeper.dev,resources=replicationslots/finalizers,verbs=update

// slotScope is what one reconcile of one ReplicationSlot works with.
type slotScope struct {
	rs        *api.ReplicationSlot
	name      string
	serverKey types.NamespacedName
	snap      *observation.Snapshot
	target    *observation.Member
	// row is the slot as last observed on the target, nil when absent.
	row *postgres.Slot
	// heldElsewhere says which other namespace's object owns the slot, so
	// it must not be adopted. Read before the slot itself: that object's
	// deletion drops the slot before it leaves the cache, so a slot read
	// after a look at the cache that found it gone is never that slot.
	heldElsewhere string
	// holder is the object of another namespace that owns the slot or is
	// creating it, whatever this object is (otherTeamHolder); nil if none.
	holder *api.ReplicationSlot
	// ownerElsewhere is an object of another namespace that owns the slot
	// (otherTeamOwner); nil if none.
	ownerElsewhere *api.ReplicationSlot
	// deleting: the object is being deleted, so a server that is being
	// deleted too is still used (it waits for its slots).
	deleting bool
	// firstObservation: the server has not been probed yet.
	firstObservation bool
	// stillSince is since when the slot's consumer position has not moved
	// (zero when unknown), for judging whether a holder is stale.
	stillSince time.Time
	ps         *api.PostgresServer
	// strategy says who keeps the slot's standby copies: spec.failover is
	// read here once (resolveServer) and everything after asks this.
	strategy copies.Strategy
	// haNote says why Patroni's ignore_slots could not be kept.
	haNote string
	// leftNote says what keeps a slot left behind on another member.
	leftNote string
	// movedOnto: spec.location moved the slot to a member where
	// status.copies records no slot of this object's, so one found there
	// is judged as somebody else's (moveHost).
	movedOnto bool
	// staleOnTarget: the slot on the promoted target is the one this
	// object left there at an earlier failover, not dropped before the
	// member was promoted again (stale_target.go).
	staleOnTarget bool
	// events are the Events decided so far, recorded by publish.
	events []pendingEvent
	// lossTold: this reconcile tells the loss of a slot somebody else made
	// again (newcomer); it is forgotten once status is written.
	lossTold bool
	// base is the object as it stands in the API, the base of the
	// reconcile's status patch: a write ahead (writeAhead) updates it, so
	// the patch does not send that change again.
	base *api.ReplicationSlot
}

func (r *Reconciler) newScope(rs *api.ReplicationSlot) *slotScope {
	sc := &slotScope{rs: rs, name: rs.SlotName(),
		serverKey: serverKeyOf(rs)}
	sc.stillSince, _ = r.Monitor.LastProgress(sc.serverKey, sc.name)
	return sc
}

// saw records that this reconcile found the slot on the target at `at`
// (it created or read it; row is what it found, nil when a creation read
// nothing back). When the monitor's snapshot lacks it, the
// monitor is asked to look for it in its next one (Monitor.Expect): it
// wakes an object when its slot changes between two snapshots, so a slot
// dropped before any snapshot held it would otherwise go unnoticed until
// the next figure refresh. Asked at once, before the Refresh that follows
// a creation, so that the snapshot that first shows the slot does not wake
// this object for news it has.
func (r *Reconciler) saw(sc *slotScope, at time.Time, row *postgres.Slot) {
	if snapshotLacks(sc) {
		seen := observation.StateOf(row, budgetOf(sc.rs))
		r.Monitor.Expect(sc.serverKey, sc.name, sc.target.Endpoint, client.ObjectKeyFromObject(sc.rs), at, seen)
	}
}

// snapshotLacks: the target's slots were listed, without this one.
func snapshotLacks(sc *slotScope) bool {
	t := sc.target
	if t == nil || t.Slots == nil {
		return false
	}
	_, seen := t.Slots[sc.name]
	return !seen
}

const defaultActionTimeout = 30 * time.Second

func (r *Reconciler) actionTimeout() time.Duration {
	if r.ActionTimeout > 0 {
		return r.ActionTimeout
	}
	return defaultActionTimeout
}

// haManagerOf is the HA manager the server's status names, if any.
func haManagerOf(sc *slotScope) *api.HAManagerStatus {
	if sc.ps == nil {
		return nil
	}
	return sc.ps.Status.HAManager
}

// readTimeout bounds a read in a reconcile like the monitor's probe (the
// server's spec.connectTimeout): a black-holed server (no RST) must not
// hold a worker that other servers' slots are waiting for, and
// statement_timeout cannot help when no byte reaches the server.
func (r *Reconciler) readTimeout(sc *slotScope) time.Duration {
	return r.Conns.Timeout(sc.serverKey)
}
