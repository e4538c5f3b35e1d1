package postgres

import (
	"testing"
)

// A drop names the slot it means: one of the same name that somebody made
// meanwhile with another type, plugin or database is left alone.
func (e *env) testDropIf(t *testing.T) {
	ctx := t.Context()
	conn := e.connect(t, e.primary, appDB)
	must(t, e.primary.Exec(ctx, "SELECT pg_create_physical_replication_slot('drop_if_phys')"))
	conn2, err := e.primary.Connect(ctx, appDB)
	must(t, err)
	defer conn2.Close(ctx)
	_, err = conn2.Exec(ctx, "SELECT pg_create_logical_replication_slot('drop_if_logical', 'test_decoding')")
	must(t, err)
	for _, c := range []struct {
		name string
		want SlotIdentity
	}{
		{"drop_if_phys", SlotIdentity{Type: "logical", Plugin: "test_decoding", Database: appDB}},
		{"drop_if_logical", SlotIdentity{Type: "logical", Plugin: "pgoutput", Database: appDB}},
		{"drop_if_logical", SlotIdentity{Type: "logical", Plugin: "test_decoding", Database: "postgres"}},
		{"drop_if_logical", SlotIdentity{Type: "physical"}},
	} {
		wantReason(t, "drop "+c.name+" as "+c.want.Type+"/"+c.want.Plugin, DropSlotIf(ctx, conn, c.name, &c.want), ReasonSlotExists)
	}
	rows, err := ListSlots(ctx, conn, e.versionNum())
	must(t, err)
	left := map[string]bool{}
	for _, r := range rows {
		left[r.Name] = true
	}
	if !left["drop_if_phys"] || !left["drop_if_logical"] {
		t.Fatalf("a slot was dropped by a drop meant for another one: left %v", left)
	}
	must(t, DropSlotIf(ctx, conn, "drop_if_phys", &SlotIdentity{Type: "physical"}))
	must(t, DropSlotIf(ctx, conn, "drop_if_logical", &SlotIdentity{Type: "logical", Plugin: "test_decoding", Database: appDB}))
	err = DropSlotIf(ctx, conn, "drop_if_phys", &SlotIdentity{Type: "physical"})
	wantReason(t, "second drop", err, ReasonSlotNotFound)
	if !DropOutcomeKnown(err) {
		t.Fatalf("a drop of a missing slot says for certain that nothing was dropped, DropOutcomeKnown says otherwise: %v", err)
	}
	e.testDropOutcomeOnLostSessions(t)
}

// Over a connection the client closed nothing is sent, so nothing was
// dropped; a session the server ended takes the statement's answer with
// it, and the drop may or may not have happened.
func (e *env) testDropOutcomeOnLostSessions(t *testing.T) {
	ctx := t.Context()
	must(t, e.primary.Exec(ctx, "SELECT pg_create_physical_replication_slot('drop_lost')"))
	closed, err := e.primary.Connect(ctx, appDB)
	must(t, err)
	must(t, closed.Close(ctx))
	if err := DropSlotIf(ctx, closed, "drop_lost", nil); err == nil || !DropOutcomeKnown(err) {
		t.Fatalf("a drop over a closed connection counted as unknown: %v", err)
	}
	ended, err := e.primary.Connect(ctx, appDB)
	must(t, err)
	defer ended.Close(ctx)
	pid := ended.PgConn().PID()
	must(t, e.primary.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", pid))
	if err := DropSlotIf(ctx, ended, "drop_lost", nil); err == nil || DropOutcomeKnown(err) {
		t.Fatalf("a drop on a session the server ended counted as known: %v", err)
	}
	must(t, e.primary.Exec(ctx, "SELECT pg_drop_replication_slot('drop_lost')"))
}
