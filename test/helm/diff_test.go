package helm_test

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"
)

// wantSame compares two values after a round trip through JSON (so typed
// objects and decoded YAML compare alike) and names the first difference:
// a whole-document dump would bury it.
func wantSame(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := plain(t, got), plain(t, want)
	if reflect.DeepEqual(g, w) {
		return
	}
	t.Errorf("%s: first difference at %s", what, firstDiff("", g, w))
}

// plain turns any value into maps, slices and scalars.
func plain(t *testing.T, v any) any {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := yaml.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// firstDiff returns the path of the first difference and both values there.
func firstDiff(path string, got, want any) string {
	switch g := got.(type) {
	case map[string]any:
		if w, ok := want.(map[string]any); ok {
			return mapDiff(path, g, w)
		}
	case []any:
		if w, ok := want.([]any); ok {
			return sliceDiff(path, g, w)
		}
	}
	return fmt.Sprintf("%s:\n  chart:   %v\n  config/: %v", path, got, want)
}

func mapDiff(path string, got, want map[string]any) string {
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if !reflect.DeepEqual(got[k], want[k]) {
			return firstDiff(path+"."+k, got[k], want[k])
		}
	}
	return path
}

func sliceDiff(path string, got, want []any) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return firstDiff(fmt.Sprintf("%s[%d]", path, i), got[i], want[i])
		}
	}
	return fmt.Sprintf("%s: chart has %d items, config/ %d", path, len(got), len(want))
}
