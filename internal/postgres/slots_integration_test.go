package postgres

import (
	"testing"
)

// slotCase is one slot created by testSlots, with what ListSlots must show.
type slotCase struct {
	name, plugin     string
	physical         bool
	reserve          bool
	twoPhase         bool
	failover         bool
	wantRestartLSN   bool
	wantConfirmedLSN bool
}

func (e *env) slotCases() []slotCase {
	cases := []slotCase{
		{name: "l_pgoutput", plugin: "pgoutput", wantRestartLSN: true, wantConfirmedLSN: true},
		{name: "l_test_decoding", plugin: "test_decoding", wantRestartLSN: true, wantConfirmedLSN: true},
		{name: "l_two_phase", plugin: "test_decoding", twoPhase: true, wantRestartLSN: true, wantConfirmedLSN: true},
		{name: "p_reserved", physical: true, reserve: true, wantRestartLSN: true},
		{name: "p_lazy", physical: true},
	}
	if e.major >= 17 {
		cases = append(cases, slotCase{name: "l_failover", plugin: "pgoutput", failover: true, wantRestartLSN: true, wantConfirmedLSN: true})
	}
	return cases
}

// testSlots creates, reads, lists and drops slots as the non-superuser
// replication role.
func (e *env) testSlots(t *testing.T) {
	ctx, conn, v := t.Context(), e.connect(t, e.primary, appDB), e.versionNum()
	cases := e.slotCases()
	for _, c := range cases {
		var lsn LSN
		var err error
		if c.physical {
			lsn, err = CreatePhysicalSlot(ctx, conn, c.name, c.reserve)
		} else {
			lsn, err = CreateLogicalSlot(ctx, conn, v, LogicalSlotOptions{Name: c.name, Plugin: c.plugin, TwoPhase: c.twoPhase, Failover: c.failover})
		}
		if err != nil {
			t.Fatalf("create %s: %v", c.name, err)
		}
		if (lsn != 0) != c.wantRestartLSN {
			t.Errorf("create %s returned LSN %s", c.name, lsn)
		}
	}
	// Produce WAL so that reserved slots retain something.
	e.writeWAL(t, appDB)

	all, err := ListSlots(ctx, conn, v)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Slot{}
	for _, s := range all {
		byName[s.Name] = s
	}
	if _, ok := byName[standbyName]; !ok {
		t.Errorf("ListSlots misses the standby's slot: %v", all)
	}
	for _, c := range cases {
		s, ok := byName[c.name]
		if !ok {
			t.Fatalf("ListSlots misses %s", c.name)
		}
		e.checkSlot(t, c, s)
		got, err := GetSlot(ctx, conn, v, c.name)
		if err != nil || got == nil {
			t.Fatalf("GetSlot(%s) = %v, %v", c.name, got, err)
		}
		e.checkSlot(t, c, *got)
	}
	for _, c := range cases {
		must(t, DropSlot(ctx, conn, c.name))
		if got, err := GetSlot(ctx, conn, v, c.name); got != nil || err != nil {
			t.Fatalf("after drop GetSlot(%s) = %v, %v", c.name, got, err)
		}
		wantReason(t, "second drop", DropSlot(ctx, conn, c.name), ReasonSlotNotFound)
	}
}

func (e *env) checkSlot(t *testing.T, c slotCase, s Slot) {
	t.Helper()
	wantType, wantDB := "logical", appDB
	if c.physical {
		wantType, wantDB = "physical", ""
	}
	if s.Type != wantType || s.Plugin != c.plugin || s.Database != wantDB || s.Temporary || s.Active || s.ActivePID != 0 || s.Consumer != nil {
		t.Errorf("%s: %+v", c.name, s)
	}
	if (s.RestartLSN != nil) != c.wantRestartLSN || (s.ConfirmedFlushLSN != nil) != c.wantConfirmedLSN {
		t.Errorf("%s: restart_lsn %v confirmed_flush_lsn %v", c.name, s.RestartLSN, s.ConfirmedFlushLSN)
	}
	if (s.RetainedBytes != nil) != c.wantRestartLSN || (s.RetainedBytes != nil && *s.RetainedBytes <= 0) {
		t.Errorf("%s: retained bytes %v", c.name, ptrString(s.RetainedBytes))
	}
	if c.wantRestartLSN && (s.WALStatus != "reserved" || s.SafeWALSize != nil) {
		t.Errorf("%s: wal_status %q safe_wal_size %v", c.name, s.WALStatus, ptrString(s.SafeWALSize))
	}
	if (s.CatalogXmin != "") != !c.physical || s.Xmin != "" {
		t.Errorf("%s: xmin %q catalog_xmin %q", c.name, s.Xmin, s.CatalogXmin)
	}
	if s.TwoPhase != c.twoPhase || s.Failover != c.failover || s.Synced || s.Conflicting || s.InvalidationReason != "" {
		t.Errorf("%s: two_phase %v failover %v synced %v conflicting %v invalidation %q",
			c.name, s.TwoPhase, s.Failover, s.Synced, s.Conflicting, s.InvalidationReason)
	}
	if (s.InactiveSince != nil) != (e.major >= 17) {
		t.Errorf("%s: inactive_since %v on %d", c.name, s.InactiveSince, e.major)
	}
	if (s.TwoPhaseAt != nil) != (e.major >= 18 && c.twoPhase) {
		t.Errorf("%s: two_phase_at %v on %d", c.name, s.TwoPhaseAt, e.major)
	}
}

// testListSlotsOnStandby runs the slot query in recovery, where
// pg_current_wal_lsn() must not be evaluated.
func (e *env) testListSlotsOnStandby(t *testing.T) {
	conn := e.connect(t, e.standby, "postgres")
	slots, err := ListSlots(t.Context(), conn, e.versionNum())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if s.Name == standbyName {
			t.Errorf("standby lists the primary's slot: %+v", s)
		}
	}
	if _, err := CreatePhysicalSlot(t.Context(), conn, "on_standby", true); err != nil {
		t.Fatalf("physical slot on standby: %v", err)
	}
	s, err := GetSlot(t.Context(), conn, e.versionNum(), "on_standby")
	if err != nil || s == nil || s.RestartLSN == nil || s.RetainedBytes == nil || *s.RetainedBytes < 0 {
		t.Fatalf("GetSlot on standby = %+v, %v", s, err)
	}
	must(t, DropSlot(t.Context(), conn, "on_standby"))
}

func ptrString[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// testLSNScan scans pg_lsn values straight into LSN and passes LSN as a
// parameter, without ::text casts.
func (e *env) testLSNScan(t *testing.T) {
	conn := e.connect(t, e.primary, "postgres")
	var l LSN
	var null *LSN
	var back string
	err := conn.QueryRow(t.Context(), "SELECT pg_current_wal_lsn(), NULL::pg_lsn, $1::pg_lsn::text", LSN(0x16B374D848)).Scan(&l, &null, &back)
	if err != nil {
		t.Fatal(err)
	}
	if l == 0 || null != nil || back != "16/B374D848" {
		t.Fatalf("scanned %s, %v, %q", l, null, back)
	}
}
