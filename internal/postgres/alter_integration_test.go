package postgres

import (
	"testing"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// testSetFailover switches failover on and off over a walsender connection
// as the non-superuser replication role, and refuses while a consumer holds
// the slot.
func (e *env) testSetFailover(t *testing.T) {
	if e.major < 17 {
		return // the property exists from PostgreSQL 17 on
	}
	ctx, conn, v := t.Context(), e.connect(t, e.primary, appDB), e.versionNum()
	const name = "alter_fo"
	if _, err := CreateLogicalSlot(ctx, conn, v, LogicalSlotOptions{Name: name, Plugin: "test_decoding"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = DropSlot(ctx, conn, name) }()
	cfg := e.cfg(e.primary, repRole, repPassword, appDB)
	for _, on := range []bool{true, false} {
		must(t, SetSlotFailover(ctx, cfg, name, on))
		row, err := GetSlot(ctx, conn, v, name)
		must(t, err)
		if row.Failover != on {
			t.Fatalf("failover = %v after SetSlotFailover(%v)", row.Failover, on)
		}
	}
	release, err := pgtest.HoldSlot(ctx, e.primary.DSN(repRole, repPassword, appDB), name, true)
	must(t, err)
	defer release()
	wantReason(t, "alter an active slot", SetSlotFailover(ctx, cfg, name, true), ReasonSlotActive)
	wantReason(t, "alter a missing slot", SetSlotFailover(ctx, cfg, "no_such_slot", true), ReasonSlotNotFound)
}
