package slot

import (
	"testing"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// promotedScope is an object that saw its slot on old-0 on timeline 1,
// now reconciled against db-0, promoted to timeline 2, whose slots are
// listed (with the object's slot when present).
func promotedScope(present bool, rec *api.SlotRecreation, mut func(*api.ReplicationSlot)) *slotScope {
	m := primaryMember(170000)
	m.Identity.Timeline = 2
	m.Slots = map[string]postgres.Slot{}
	rs := logicalSlot(func(rs *api.ReplicationSlot) {
		rs.Status.Owned, rs.Status.Origin, rs.Status.Host = true, api.OriginCreated, "old-0:5432"
		rs.Status.ObservedTimeline, rs.Status.ConfirmedFlushLSN = 1, "0/3000000"
		if mut != nil {
			mut(rs)
		}
	})
	if present {
		m.Slots[rs.SlotName()] = postgres.Slot{Name: rs.SlotName(), Type: "logical"}
	}
	sc := scopeOn(m, rs)
	sc.ps = &api.PostgresServer{Status: api.PostgresServerStatus{Recreation: rec}}
	return sc
}

func TestNamedForRecreation(t *testing.T) {
	rec := func(member string, tl int64, slots ...string) *api.SlotRecreation {
		return &api.SlotRecreation{Member: member, Timeline: tl, Slots: slots}
	}
	here := rec("db-0:5432", 2, "orders")
	cases := []struct {
		name    string
		present bool
		rec     *api.SlotRecreation
		mut     func(*api.ReplicationSlot)
		want    bool
	}{
		{"named, present, not yet recorded", true, here, nil, true},
		{"no record: a slot that survived the failover", true, nil, nil, false},
		{"not named", true, rec("db-0:5432", 2, "other"), nil, false},
		{"named for another member", true, rec("db-1:5432", 2, "orders"), nil, false},
		{"named for another timeline", true, rec("db-0:5432", 3, "orders"), nil, false},
		{"absent: still to be created", false, here, nil, false},
		{"recorded already", true, here, func(rs *api.ReplicationSlot) {
			rs.Status.Host, rs.Status.ObservedTimeline = "db-0:5432", 2
		}, false},
		{"same host, earlier timeline (a Service that follows the primary)", true, here, func(rs *api.ReplicationSlot) {
			rs.Status.Host = "db-0:5432"
		}, true},
		{"not owned", true, here, func(rs *api.ReplicationSlot) { rs.Status.Owned = false }, false},
		{"never seen", true, here, func(rs *api.ReplicationSlot) { rs.Status.ConfirmedFlushLSN = "" }, false},
	}
	for _, tc := range cases {
		sc := promotedScope(tc.present, tc.rec, tc.mut)
		if got := namedForRecreation(sc, tc.present); got != tc.want {
			t.Errorf("%s: namedForRecreation = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLostInPromotion(t *testing.T) {
	trigger := promotedScope(false, nil, nil)
	cases := []struct {
		name string
		sc   *slotScope
		want bool
	}{
		{"missing after a failover", promotedScope(false, nil, nil), true},
		{"present: survived through its copy", promotedScope(true, nil, nil), false},
		{"missing on the member it was seen on: not a failover", promotedScope(false, nil, func(rs *api.ReplicationSlot) {
			rs.Status.Host, rs.Status.ObservedTimeline = "db-0:5432", 2
		}), false},
	}
	other := promotedScope(false, nil, nil)
	other.target.Identity.Timeline = 3
	cases = append(cases, struct {
		name string
		sc   *slotScope
		want bool
	}{"another promotion", other, false})
	for _, tc := range cases {
		if got := lostInPromotion(tc.sc, trigger); got != tc.want {
			t.Errorf("%s: lostInPromotion = %v, want %v", tc.name, got, tc.want)
		}
	}
}
