package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestReadYourWrites(t *testing.T) {
	c := newReadYourWrites[string]()
	key := types.NamespacedName{Namespace: "ns", Name: "a"}
	if _, ok := c.newer(key, "5"); ok {
		t.Fatal("nothing written yet")
	}
	c.remember(key, "10", "written at 10")
	cases := []struct {
		cached string
		want   bool
	}{{"9", true}, {"10", false}, {"11", false}, {"not-a-number", false}}
	for _, tc := range cases {
		got, ok := c.newer(key, tc.cached)
		if ok != tc.want || (ok && got != "written at 10") {
			t.Errorf("cached %s: got %q, %v", tc.cached, got, ok)
		}
	}
	c.remember(key, "8", "older write")
	if got, _ := c.newer(key, "7"); got != "written at 10" {
		t.Errorf("an older write must not replace a newer one, got %q", got)
	}
	c.forget(key)
	if _, ok := c.newer(key, "1"); ok {
		t.Fatal("forgotten")
	}
}
