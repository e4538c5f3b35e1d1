package slot

import (
	"context"
	"fmt"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// dropAnswer is what one DROP came to.
type dropAnswer struct {
	// o is nil when the slot was dropped or was not there.
	o *status.Outcome
	// replaced: the name is a slot of another kind now, left alone (o
	// says so, as a Conflict).
	replaced bool
	// unsure: the statement was sent but no answer came back, so the slot
	// may or may not have been dropped.
	unsure bool
}

// drop drops the slot on the target; PostgreSQL refuses an active slot and
// so does the SQL (it only drops an inactive one), which also leaves alone
// a slot of that name that is not the declared kind any more.
func (r *Reconciler) drop(ctx context.Context, sc *slotScope) dropAnswer {
	a := r.dropSilently(ctx, sc)
	if a.o == nil {
		sc.event("Normal", "Dropped", record.ActionDrop, "dropped slot %q on %s", sc.name, sc.target.Addr())
	}
	return a
}

// dropSilently is drop without the Event of a drop, for a caller that says
// why it dropped the slot in an Event of its own.
func (r *Reconciler) dropSilently(ctx context.Context, sc *slotScope) dropAnswer {
	ctx, cancel := context.WithTimeout(ctx, r.actionTimeout())
	defer cancel()
	err := r.sendDropStatement(ctx, sc)
	r.Monitor.Refresh(sc.serverKey)
	e := postgres.Classify(err)
	switch {
	case e != nil && e.Reason == postgres.ReasonSlotExists:
		msg := fmt.Sprintf("slot %q on %s is no longer the %s slot this object declares; slotkeeper leaves it alone",
			sc.name, sc.target.Addr(), sc.rs.Spec.Type)
		sc.event("Warning", api.ReasonConflict, record.ActionDrop, "%s", msg)
		return dropAnswer{o: status.Stall(api.ReasonConflict, msg), replaced: true}
	case e != nil && e.Reason != postgres.ReasonSlotNotFound:
		return dropAnswer{o: errorOutcome(e, sc), unsure: !postgres.DropOutcomeKnown(err)}
	}
	return dropAnswer{}
}

// sendDropStatement sends the DROP on a connection of its own, taken
// from the pool first: a failure to connect or to get a connection in
// time then says for certain that nothing was sent
// (postgres.DropOutcomeKnown).
func (r *Reconciler) sendDropStatement(ctx context.Context, sc *slotScope) error {
	pool, err := r.Conns.Pool(ctx, sc.serverKey, sc.target.Endpoint, "")
	if err != nil {
		return postgres.NotSent(postgres.Classify(err))
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return postgres.NotSent(postgres.Classify(err))
	}
	defer conn.Release()
	return postgres.DropSlotIf(ctx, conn, sc.name, declaredIdentity(sc.rs))
}

// declaredIdentity is what a slot of this object must be to be dropped.
func declaredIdentity(rs *api.ReplicationSlot) *postgres.SlotIdentity {
	if rs.Spec.Type != api.SlotLogical {
		return &postgres.SlotIdentity{Type: "physical"}
	}
	return &postgres.SlotIdentity{Type: "logical", Plugin: rs.PluginName(), Database: rs.Spec.Database}
}
