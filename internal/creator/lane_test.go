package creator

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func laneJob(started time.Time, queued, done bool) *job {
	j := &job{done: make(chan struct{}), st: State{Started: started, Queued: queued, Done: done}}
	if done {
		close(j.done)
	}
	return j
}

func TestLaneWaitedLonger(t *testing.T) {
	old, recent := time.Now().Add(-time.Minute), time.Now()
	cases := []struct {
		name string
		jobs []*job
		want bool
	}{
		{"empty", nil, false},
		{"one waiting long", []*job{laneJob(old, false, false)}, true},
		{"all recent", []*job{laneJob(recent, false, false), laneJob(recent, false, false)}, false},
		{"a long one that ended", []*job{laneJob(old, false, true)}, false},
		{"one of several", []*job{laneJob(recent, false, false), laneJob(old, false, false)}, true},
	}
	for _, tc := range cases {
		l := newLane()
		for _, j := range tc.jobs {
			l.enter(j)
		}
		if got := l.waitedLonger(time.Second); got != tc.want {
			t.Errorf("%s: waitedLonger = %v, want %v", tc.name, got, tc.want)
		}
		for _, j := range tc.jobs {
			l.leave(j)
		}
		if l.waitedLonger(time.Second) {
			t.Errorf("%s: the lane still holds a creation after every one left", tc.name)
		}
	}
}

func TestPendingAhead(t *testing.T) {
	c := New()
	srv := types.NamespacedName{Namespace: "ns", Name: "db"}
	running, ended := laneJob(time.Now(), false, false), laneJob(time.Now(), false, true)
	c.ahead[srv] = []*job{ended, running, laneJob(time.Now(), true, true)}
	if got := c.pendingAhead(srv); len(got) != 1 || got[0] != running {
		t.Fatalf("pendingAhead = %d jobs, want only the running one", len(got))
	}
	if len(c.ahead[srv]) != 1 {
		t.Errorf("the ended creations are still kept: %d", len(c.ahead[srv]))
	}
	close(running.done)
	if got := c.pendingAhead(srv); len(got) != 0 {
		t.Errorf("pendingAhead after the last ended = %d jobs, want none", len(got))
	}
	if _, ok := c.ahead[srv]; ok {
		t.Error("the server's entry is kept after its bulk ended")
	}
}
