package main

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseNamespaces(t *testing.T) {
	for _, tc := range []struct {
		flag    string
		want    []string
		wantErr string
	}{
		{flag: "", want: nil},
		{flag: " , ,", want: nil},
		{flag: "team-a", want: []string{"team-a"}},
		{flag: "team-a,team-b", want: []string{"team-a", "team-b"}},
		{flag: " team-a , team-b ,", want: []string{"team-a", "team-b"}},
		{flag: "team-a,team-b,team-a", want: []string{"team-a", "team-b"}},
		{flag: "Team-A", wantErr: `"Team-A" is not a namespace name`},
		{flag: "team-a,team b", wantErr: `"team b" is not a namespace name`},
		{flag: "team-a/x", wantErr: "not a namespace name"},
		{flag: strings.Repeat("a", 64), wantErr: "not a namespace name"},
	} {
		got, err := parseNamespaces(tc.flag)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseNamespaces(%q): error %v, want one saying %q", tc.flag, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseNamespaces(%q) = %q, %v; want %q", tc.flag, got, err, tc.want)
		}
	}
}

// An empty flag must leave DefaultNamespaces nil: controller-runtime then
// watches every namespace, today's behaviour.
func TestWatchedNamespaces(t *testing.T) {
	for _, tc := range []struct {
		flag string
		want []string
	}{
		{flag: "", want: nil},
		{flag: "team-a, team-b", want: []string{"team-a", "team-b"}},
	} {
		got, err := watchedNamespaces(tc.flag)
		if err != nil {
			t.Fatalf("watchedNamespaces(%q): %v", tc.flag, err)
		}
		if tc.want == nil && got != nil {
			t.Errorf("watchedNamespaces(%q) = %v, want nil (all namespaces)", tc.flag, got)
		}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
			t.Errorf("watchedNamespaces(%q) has namespaces %q, want %q", tc.flag, keys, tc.want)
		}
	}
	if _, err := watchedNamespaces("ok,Not-OK"); err == nil {
		t.Error("watchedNamespaces accepted an invalid name")
	}
}
