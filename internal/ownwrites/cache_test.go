package ownwrites

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestReadYourWrites(t *testing.T) {
	c := New[string]()
	key := types.NamespacedName{Namespace: "ns", Name: "a"}
	if _, ok := c.Newer(key, "5"); ok {
		t.Fatal("nothing written yet")
	}
	c.Remember(key, "10", "written at 10")
	cases := []struct {
		cached string
		want   bool
	}{{"9", true}, {"not-a-number", false}, {"9", true}}
	for _, tc := range cases {
		got, ok := c.Newer(key, tc.cached)
		if ok != tc.want || (ok && got != "written at 10") {
			t.Errorf("cached %s: got %q, %v", tc.cached, got, ok)
		}
	}
	c.Remember(key, "8", "older write")
	if got, _ := c.Newer(key, "7"); got != "written at 10" {
		t.Errorf("an older write must not replace a newer one, got %q", got)
	}
	c.Forget(key)
	if _, ok := c.Newer(key, "1"); ok {
		t.Fatal("forgotten")
	}
}

// Once the cache has caught up with a write the entry is dropped: the
// informer never goes back, so it could not be used again.
func TestReadYourWritesDropsCaughtUp(t *testing.T) {
	for _, cached := range []string{"10", "11"} {
		c := New[string]()
		key := types.NamespacedName{Namespace: "ns", Name: "a"}
		c.Remember(key, "10", "written at 10")
		if got, ok := c.Newer(key, cached); ok {
			t.Errorf("cached %s: got %q, want nothing", cached, got)
		}
		if len(c.m) != 0 {
			t.Errorf("cached %s: %d entries left, want 0", cached, len(c.m))
		}
		if _, ok := c.Newer(key, "9"); ok {
			t.Errorf("cached %s: a dropped entry was used", cached)
		}
		c.Remember(key, "12", "written at 12")
		if got, ok := c.Newer(key, "11"); !ok || got != "written at 12" {
			t.Errorf("cached %s: a write after the drop is not remembered: %q, %v", cached, got, ok)
		}
	}
}
