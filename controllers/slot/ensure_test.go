package slot

import (
	"errors"
	"testing"

	"github.com/slotkeeper/slotkeeper/internal/creator"
)

func TestAheadUnfailed(t *testing.T) {
	cases := []struct {
		name string
		st   creator.State
		ok   bool
		want bool
	}{
		{"no job", creator.State{Ahead: true}, false, false},
		{"a bulk job running", creator.State{Ahead: true}, true, true},
		{"a bulk job done", creator.State{Ahead: true, Done: true}, true, true},
		{"a bulk job that failed", creator.State{Ahead: true, Done: true, Err: errors.New("refused")}, true, false},
		{"the object's own creation", creator.State{}, true, false},
	}
	for _, tc := range cases {
		if got := aheadUnfailed(tc.st, tc.ok); got != tc.want {
			t.Errorf("%s: aheadUnfailed = %v, want %v", tc.name, got, tc.want)
		}
	}
}
