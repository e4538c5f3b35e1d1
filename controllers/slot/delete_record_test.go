package slot

import "testing"

// A deletion drops at most once: after a DROP whose answer this process
// has, or one whose answer nobody has, a slot of the name is not dropped.
func TestPlanDeletionDrop(t *testing.T) {
	for _, c := range []struct {
		name     string
		known    dropState
		recorded bool
		want     dropPlan
	}{
		{"first attempt", dropNone, false, planDrop},
		{"after a restart, a DROP was sent", dropNone, true, planLeave},
		{"this process dropped it", dropDone, true, planSkip},
		{"this process dropped it, record not in cache yet", dropDone, false, planSkip},
		{"this process sent it, no answer", dropSent, true, planLeave},
		{"this process sent it, no answer, cache behind", dropSent, false, planLeave},
		{"refused, record cleared", dropNothing, false, planDrop},
		{"refused, cache still shows the record", dropNothing, true, planDrop},
		{"left in place before", dropLeft, true, planSkip},
	} {
		if got := planDeletionDrop(c.known, c.recorded); got != c.want {
			t.Errorf("%s: planDeletionDrop(%d, %v) = %d, want %d", c.name, c.known, c.recorded, got, c.want)
		}
	}
}
