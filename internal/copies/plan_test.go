package copies

import "testing"

func TestDecide(t *testing.T) {
	cases := []struct {
		name string
		in   Standby
		want Action
	}{
		{"former primary's slot, any strategy", Standby{Strategy: Native, Recorded: true, Former: true, Present: true}, DropStale},
		{"former primary's slot, already gone", Standby{Strategy: Physical, Recorded: true, Former: true}, DropStale},
		{"17+: a synced copy is PostgreSQL's", Standby{Strategy: Native, Present: true}, Leave},
		{"17+: an unsynced failover slot left by a former primary", Standby{Strategy: Native, Present: true, StaleFailover: true}, DropStale},
		{"17+: nothing there", Standby{Strategy: Native}, Leave},
		{"17+: no synced copy yet, the worker on", Standby{Strategy: Native, Unready: true}, NudgeSync},
		{"17+: a temporary synced copy, the worker on", Standby{Strategy: Native, Present: true, Unready: true}, NudgeSync},
		{"17+: the stale slot goes first", Standby{Strategy: Native, Present: true, StaleFailover: true, Unready: true}, DropStale},
		{"16: unready means nothing to a kept copy", Standby{Strategy: KeptLogical, Recorded: true, Present: true, Unready: true}, KeepLogical},
		{"failover turned off: drop our copy", Standby{Strategy: None, Recorded: true, Present: true}, DropCopy},
		{"15 logical: nothing slotkeeper keeps", Standby{Strategy: Unsupported, Present: true}, DropCopy},
		{"someone else's slot under the name", Standby{Strategy: Physical, Present: true}, ReportForeign},
		{"our creation is under way", Standby{Strategy: KeptLogical, Present: true, Creating: true}, KeepLogical},
		{"physical copy to make", Standby{Strategy: Physical}, KeepPhysical},
		{"physical copy to advance", Standby{Strategy: Physical, Recorded: true, Present: true}, KeepPhysical},
		{"16 logical copy to advance", Standby{Strategy: KeptLogical, Recorded: true, Present: true}, KeepLogical},
	}
	for _, tc := range cases {
		if got := Decide(tc.in); got != tc.want {
			t.Errorf("%s: Decide = %v, want %v", tc.name, got, tc.want)
		}
	}
}
