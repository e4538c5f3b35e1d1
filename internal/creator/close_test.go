package creator

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// TestClose: once an object's deletion has closed it, no creation for it
// begins (a failover's bulk recreation that picked it before the deletion
// must not leave a slot nobody drops), while a new object of the same name
// creates as usual.
func TestClose(t *testing.T) {
	ctx, r := startCreatorRig(t, "creator-close")
	woke := make(chan struct{}, 100)
	key := types.NamespacedName{Namespace: "ns", Name: "gone"}
	r.c.Close(key, "uid-deleted")
	var began bool
	r.beginWith("gone", "closed_slot", woke, func(req *Request) {
		req.Physical, req.UID, req.Ahead = true, "uid-deleted", true
		began = r.c.Begin(*req)
	})
	if began {
		t.Fatal("a creation began for an object whose deletion closed it")
	}
	if st, ok := r.c.State(key); ok {
		t.Fatalf("a closed object has a creation: %+v", st)
	}
	var n int
	if err := r.pool.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'closed_slot'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("closed_slot: %d slots, %v", n, err)
	}
	again := r.beginWith("gone", "closed_slot", woke, func(req *Request) { req.Physical, req.UID = true, "uid-new" })
	if st := waitState(t, r.c, again, func(s State) bool { return s.Done }); st.Err != nil {
		t.Fatalf("a new object of the same name: %+v", st)
	}
}
