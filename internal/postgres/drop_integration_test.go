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
	if !DropAnswered(err) {
		t.Fatalf("a drop of a missing slot is PostgreSQL's answer, DropAnswered says otherwise: %v", err)
	}
	// A connection that is gone gives no answer: a deletion cannot know
	// whether its drop happened.
	must(t, conn2.Close(ctx))
	if err := DropSlotIf(ctx, conn2, "drop_if_phys", nil); err == nil || DropAnswered(err) {
		t.Fatalf("a drop over a closed connection counted as answered: %v", err)
	}
}
