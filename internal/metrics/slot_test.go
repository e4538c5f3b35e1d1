package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A deleted object's series must all go, counters included, and a renamed
// slot must not leave its old series behind.
func TestSlotSeriesLifecycle(t *testing.T) {
	b := int64(5)
	SetSlot(Slot{Namespace: "ns", Name: "obj", SlotName: "a", Server: "db", Recreations: 2, DataGapBytesTotal: 9,
		RetainedBytes: &b, WALStatus: "reserved", InvalidationReason: "wal_removed"})
	if n := testutil.CollectAndCount(slotRecreated); n != 1 {
		t.Fatalf("recreations series = %d, want 1", n)
	}
	SetSlot(Slot{Namespace: "ns", Name: "obj", SlotName: "b", Server: "db"})
	if n := testutil.CollectAndCount(slotRetained); n != 0 {
		t.Fatalf("retained series after rename without figure = %d, want 0", n)
	}
	if n := testutil.CollectAndCount(slotInvalid); n != 0 {
		t.Fatalf("invalidated series after rename = %d, want 0", n)
	}
	if n := testutil.CollectAndCount(slotRecreated); n != 1 {
		t.Fatalf("recreations series after rename = %d, want 1 (the new name only)", n)
	}
	DeleteSlot("ns", "obj")
	left := testutil.CollectAndCount(slotRecreated) + testutil.CollectAndCount(slotGapBytes) +
		testutil.CollectAndCount(slotReady) + testutil.CollectAndCount(slotWALStatus)
	if left != 0 {
		t.Fatalf("%d series left after DeleteSlot", left)
	}
}

func TestServerSeriesLifecycle(t *testing.T) {
	n := int64(1)
	SetServer(Server{Namespace: "ns", Name: "db", Up: true, Timeline: 2, Failovers: 1,
		Members: []Member{{Addr: "h:1", Up: true, Primary: true}}, ActiveUnmanaged: &n, InactiveUnmanaged: &n})
	ObserveProbe("ns", "db", "h:1", 0)
	DeleteServer("ns", "db")
	left := testutil.CollectAndCount(serverUp) + testutil.CollectAndCount(serverFailovers) +
		testutil.CollectAndCount(memberUp) + testutil.CollectAndCount(unmanagedSlots) + testutil.CollectAndCount(probeDuration)
	if left != 0 {
		t.Fatalf("%d series left after DeleteServer", left)
	}
}
