package slot

import (
	"context"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// syncFailoverFlag makes a PostgreSQL 17+ logical slot's failover property
// follow spec.failover: an adopted slot, or one created before the spec
// asked, is switched on with ALTER_REPLICATION_SLOT. It is switched off
// only if slotkeeper switched it on; PostgreSQL's sync worker then drops
// the standby copies itself. A held slot cannot be altered: the attempt is
// repeated, and the note returned says why.
func (r *Reconciler) syncFailoverFlag(ctx context.Context, sc *slotScope) (note string) {
	rs, row := sc.rs, sc.row
	if rs.Spec.Type != api.SlotLogical || !sc.target.Identity.SyncsFailoverSlots() {
		return ""
	}
	// PostgreSQL syncs the slot to standbys only with the property on.
	want := sc.strategy == copies.Native
	switch {
	case want && row.Failover:
		rs.Status.FailoverEnabled = true
		return ""
	case !want && (!row.Failover || !rs.Status.FailoverEnabled):
		rs.Status.FailoverEnabled = false
		return ""
	}
	if row.Active {
		return "cannot switch failover " + onOff(want) + " while the slot is held (pid " + itoa(row.ActivePID) + "); slotkeeper retries once the consumer releases it"
	}
	cfg, ok := r.Conns.ConnConfig(sc.serverKey, sc.target.Endpoint, rs.Spec.Database)
	if !ok {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, r.actionTimeout())
	defer cancel()
	if err := postgres.SetSlotFailover(ctx, cfg, sc.name, want); err != nil {
		return "cannot switch failover " + onOff(want) + " with ALTER_REPLICATION_SLOT: " + err.Error()
	}
	rs.Status.FailoverEnabled = want
	row.Failover = want
	sc.event("Normal", "FailoverSwitched", "Alter",
		"switched failover %s for slot %q on %s", onOff(want), sc.name, sc.target.Addr())
	r.Monitor.Refresh(sc.serverKey)
	return ""
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
