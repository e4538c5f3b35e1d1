package slot

import (
	"testing"

	"k8s.io/client-go/tools/events"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// TestPublishRecords: the Events noted in the scope reach the recorder,
// in order, once.
func TestPublishRecords(t *testing.T) {
	fr := events.NewFakeRecorder(10)
	r := &Reconciler{Recorder: fr}
	sc := &slotScope{rs: &api.ReplicationSlot{}}
	sc.event("Normal", "Created", "Create", "created slot %q", "a")
	sc.event("Warning", "DataGap", "Recreate", "a gap of %d bytes", 5)
	r.publish(sc)
	r.publish(sc)
	want := []string{`Normal Created created slot "a"`, "Warning DataGap a gap of 5 bytes"}
	for _, w := range want {
		select {
		case got := <-fr.Events:
			if got != w {
				t.Fatalf("event %q, want %q", got, w)
			}
		default:
			t.Fatalf("no event, want %q", w)
		}
	}
	if len(fr.Events) != 0 {
		t.Fatalf("%d more events, want none (published once)", len(fr.Events))
	}
}
