package creator

import (
	"testing"
)

// TestPhysicalCreation: a physical request makes a physical slot that keeps
// WAL from the LSN its state reports, read back with it unless the request
// is part of a bulk recreation, and a second request for the name fails as
// PostgreSQL refuses it.
func TestPhysicalCreation(t *testing.T) {
	ctx, r := startCreatorRig(t, "creator-physical")
	woke := make(chan struct{}, 100)
	physical := func(req *Request) { req.Physical, req.ReserveWAL = true, true }
	key := r.beginWith("phys", "phys_slot", woke, physical)
	st := waitState(t, r.c, key, func(s State) bool { return s.Done })
	if st.Err != nil || st.Row == nil || st.Row.Type != "physical" || st.LSN == 0 || st.Row.RestartLSN == nil || *st.Row.RestartLSN != st.LSN {
		t.Fatalf("physical creation: %+v", st)
	}
	bulk := r.beginWith("bulk", "bulk_slot", woke, func(req *Request) { physical(req); req.Ahead = true })
	if st := waitState(t, r.c, bulk, func(s State) bool { return s.Done }); st.Err != nil || st.Row != nil || st.LSN == 0 || !st.Ahead {
		t.Fatalf("bulk physical creation: %+v", st)
	}
	var restart string
	if err := r.pool.QueryRow(ctx, `SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = 'phys_slot' AND slot_type = 'physical'`).
		Scan(&restart); err != nil {
		t.Fatal(err)
	}
	if restart != st.LSN.String() {
		t.Fatalf("state LSN %s, slot's restart_lsn %s", st.LSN, restart)
	}
	again := r.beginWith("phys-again", "phys_slot", woke, physical)
	if st := waitState(t, r.c, again, func(s State) bool { return s.Done }); st.Err == nil {
		t.Fatal("a second creation of the name succeeded")
	}
}
