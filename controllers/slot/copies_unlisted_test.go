package slot

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

func TestUnlistedCopies(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(-d)} }
	listed := func(c api.SlotCopy) bool { return c.Host == "db-0" || c.Host == "db-1" }
	cases := []struct {
		name          string
		in            api.SlotCopy
		wantKept      bool
		wantSinceFrom *metav1.Time // nil: the mark is cleared
	}{
		{"listed copy stays as it was", api.SlotCopy{Host: "db-0", Port: 5432}, true, nil},
		{"listed again: the mark is cleared", api.SlotCopy{Host: "db-1", Port: 5432, UnlistedSince: at(time.Minute)}, true, nil},
		{"just unlisted: marked now", api.SlotCopy{Host: "db-2", Port: 5432}, true, at(0)},
		{"unlisted a while: kept, mark unchanged", api.SlotCopy{Host: "db-2", Port: 5432, UnlistedSince: at(59 * time.Minute)}, true, at(59 * time.Minute)},
		{"a slot left behind, unlisted a while: kept", api.SlotCopy{Host: "db-2", Port: 5432, Former: true, UnlistedSince: at(30 * time.Minute)}, true, at(30 * time.Minute)},
		{"unlisted past the keep: forgotten", api.SlotCopy{Host: "db-2", Port: 5432, UnlistedSince: at(61 * time.Minute)}, false, nil},
	}
	for _, tc := range cases {
		kept, forgotten := unlistedCopies([]api.SlotCopy{tc.in}, listed, now, time.Hour)
		if got := len(kept) == 1; got != tc.wantKept || len(kept)+len(forgotten) != 1 {
			t.Errorf("%s: kept %d, forgotten %d; want kept %v", tc.name, len(kept), len(forgotten), tc.wantKept)
			continue
		}
		if !tc.wantKept {
			continue
		}
		got := kept[0].UnlistedSince
		switch {
		case tc.wantSinceFrom == nil && got != nil:
			t.Errorf("%s: unlistedSince %v, want none", tc.name, got)
		case tc.wantSinceFrom != nil && (got == nil || !got.Equal(tc.wantSinceFrom)):
			t.Errorf("%s: unlistedSince %v, want %v", tc.name, got, tc.wantSinceFrom)
		}
	}
	if kept, forgotten := unlistedCopies(nil, listed, now, time.Hour); kept != nil || forgotten != nil {
		t.Errorf("no records: kept %v, forgotten %v", kept, forgotten)
	}
}

func TestNoteUnlisted(t *testing.T) {
	long := &metav1.Time{Time: time.Now().Add(-2 * time.Hour)}
	rs := &api.ReplicationSlot{}
	rs.Status.Copies = []api.SlotCopy{
		{Host: "db-1", Port: 5432},
		{Host: "db-2", Port: 5432, UnlistedSince: long},
		{Host: "db-3", Port: 5432},
	}
	sc := &slotScope{rs: rs, name: "orders_cdc", snap: &observation.Snapshot{Members: []observation.Member{
		{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432}},
		{Endpoint: observation.Endpoint{Host: "db-1", Port: 5432}},
	}}}
	noteUnlisted(sc)
	cs := rs.Status.Copies
	if len(cs) != 2 || cs[0].Host != "db-1" || cs[0].UnlistedSince != nil || cs[1].Host != "db-3" || cs[1].UnlistedSince == nil {
		t.Fatalf("copies after noteUnlisted = %+v; want db-1 unmarked and db-3 marked, db-2 forgotten", cs)
	}
	if len(sc.events) != 1 {
		t.Fatalf("events = %+v; want one for the record forgotten", sc.events)
	}
	e := sc.events[0]
	if e.kind != "Warning" || e.reason != "SlotForgotten" || !strings.Contains(e.note, `"orders_cdc" on db-2:5432`) ||
		!strings.Contains(e.note, "drop it there by hand") {
		t.Errorf("event = %+v", e)
	}
}
