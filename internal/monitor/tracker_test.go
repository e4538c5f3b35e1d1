package monitor

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// Two servers of two teams, and one object that moves between them.
var (
	trackerA   = types.NamespacedName{Namespace: "team-a", Name: "db"}
	trackerB   = types.NamespacedName{Namespace: "team-b", Name: "db"}
	trackerObj = types.NamespacedName{Namespace: "team-a", Name: "orders"}
	trackerOn  = observation.Endpoint{Host: "db", Port: 5432}
)

func watching(tr *tracker, server types.NamespacedName, slot string) int {
	return len(tr.watchers(server)[slot])
}

// The tracker is kept by server: an object shows among the watchers of the
// server it last tracked and of no other, its expectation travels with it
// only while server and slot stay, and untracking leaves nothing behind.
func TestTrackerByServer(t *testing.T) {
	a, b, obj, on := trackerA, trackerB, trackerObj, trackerOn
	steps := []struct {
		name         string
		do           func(tr *tracker)
		onA, onB     int  // watchers of slot "orders" on a and b
		dueOnA, dueB bool // the expectation comes due on that server
	}{
		{"tracked on a", func(tr *tracker) { tr.track(a, "orders", obj, 0) }, 1, 0, false, false},
		{"expects on a", func(tr *tracker) { tr.expect(a, "orders", on, obj, time.Unix(1, 0), observation.RowState{}) }, 1, 0, true, false},
		{"tracked again on a keeps the expectation", func(tr *tracker) { tr.track(a, "orders", obj, 5) }, 1, 0, true, false},
		{"moved to b drops it", func(tr *tracker) { tr.track(b, "orders", obj, 0) }, 0, 1, false, false},
		{"an expectation for a is ignored", func(tr *tracker) { tr.expect(a, "orders", on, obj, time.Unix(1, 0), observation.RowState{}) }, 0, 1, false, false},
		{"expects on b", func(tr *tracker) { tr.expect(b, "orders", on, obj, time.Unix(1, 0), observation.RowState{}) }, 0, 1, false, true},
		{"untracked", func(tr *tracker) { tr.untrack(obj) }, 0, 0, false, false},
	}
	tr := newTracker()
	for _, st := range steps {
		st.do(tr)
		if got := watching(tr, a, "orders"); got != st.onA {
			t.Errorf("%s: %d watchers on a, want %d", st.name, got, st.onA)
		}
		if got := watching(tr, b, "orders"); got != st.onB {
			t.Errorf("%s: %d watchers on b, want %d", st.name, got, st.onB)
		}
		for server, want := range map[types.NamespacedName]bool{a: st.dueOnA, b: st.dueB} {
			ts, _ := tr.lookup(obj)
			if got := ts.server == server && !ts.expected.IsZero(); got != want {
				t.Errorf("%s: expectation pending on %v = %v, want %v", st.name, server, got, want)
			}
		}
	}
	if len(tr.byServer) != 0 || len(tr.serverOf) != 0 {
		t.Errorf("untracked, yet the tracker holds %d servers and %d objects", len(tr.byServer), len(tr.serverOf))
	}
}

// A poll settles the expectations of its own server's objects only.
func TestTrackerDueOnItsServer(t *testing.T) {
	a, b, obj, on := trackerA, trackerB, trackerObj, trackerOn
	none := func(string, observation.Endpoint) *postgres.Slot { return nil }
	tr := newTracker()
	tr.track(a, "orders", obj, 0)
	tr.expect(a, "orders", on, obj, time.Unix(1, 0), observation.RowState{})
	if _, news := tr.due(b, time.Unix(2, 0), none); len(news) != 0 {
		t.Errorf("b's poll woke %v, an object of a", news)
	}
	if _, news := tr.due(a, time.Unix(2, 0), none); len(news) != 1 {
		t.Errorf("a's poll after the expectation, lacking the slot, woke %v, want the object", news)
	}
}
