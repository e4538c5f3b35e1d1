package slot

import (
	"testing"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestLeftOnPromoted(t *testing.T) {
	former := func(rs *api.ReplicationSlot) {
		rs.Status.Copies = []api.SlotCopy{{Host: "db-0", Port: 5432, Former: true}}
	}
	and := func(muts ...func(*api.ReplicationSlot)) func(*api.ReplicationSlot) {
		return func(rs *api.ReplicationSlot) {
			for _, m := range muts {
				m(rs)
			}
		}
	}
	cases := []struct {
		name  string
		mut   func(*api.ReplicationSlot)
		scope func(*slotScope)
		want  bool
	}{
		{"left there at an earlier failover, promoted again", former, nil, true},
		{"no record of the target: a slot somebody else made (adoption rules)", nil, nil, false},
		{"a copy kept there: the survivor of the failover", func(rs *api.ReplicationSlot) {
			rs.Status.Copies = []api.SlotCopy{{Host: "db-0", Port: 5432, Consistent: true}}
		}, nil, false},
		{"a record of another member", func(rs *api.ReplicationSlot) {
			rs.Status.Copies = []api.SlotCopy{{Host: "db-1", Port: 5432, Former: true}}
		}, nil, false},
		{"a split brain: the target still on the timeline the slot was seen on", former,
			func(sc *slotScope) { sc.target.Identity.Timeline = 1 }, false},
		{"the target on an older timeline", former,
			func(sc *slotScope) { sc.target.Identity.Timeline = 1; sc.rs.Status.ObservedTimeline = 3 }, false},
		{"no timeline ever observed", and(former, func(rs *api.ReplicationSlot) { rs.Status.ObservedTimeline = 0 }), nil, false},
		{"spec.location moved it back: a relocation keeps its slot", and(former, func(rs *api.ReplicationSlot) {
			rs.Status.Location = "db-1:5432"
		}), nil, false},
		{"the target is a standby", former, func(sc *slotScope) { sc.target.Identity.InRecovery = true }, false},
	}
	for _, tc := range cases {
		sc := promotedScope(true, nil, tc.mut)
		if tc.scope != nil {
			tc.scope(sc)
		}
		if got := leftOnPromoted(sc, missingReason(sc)); got != tc.want {
			t.Errorf("%s: leftOnPromoted = %v, want %v", tc.name, got, tc.want)
		}
	}
}
