package monitor

import (
	"maps"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestPruneConfirmed(t *testing.T) {
	confirmed := map[string]postgres.LSN{"declared_gone": 1, "on_primary": 2, "tablesync_1": 3, "tablesync_2": 4}
	present := map[string]postgres.Slot{"on_primary": {}}
	tracked := watchList{"declared_gone": {{obj: types.NamespacedName{Namespace: "a", Name: "b"}}}, "never_seen": {{obj: types.NamespacedName{Name: "c"}}}}
	pruneConfirmed(confirmed, present, tracked)
	got := slices.Sorted(maps.Keys(confirmed))
	if want := []string{"declared_gone", "on_primary"}; !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
}
