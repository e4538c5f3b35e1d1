package copies

import (
	"testing"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestFor(t *testing.T) {
	cases := []struct {
		typ      api.SlotType
		failover bool
		version  int
		want     Strategy
	}{
		{api.SlotLogical, false, 170000, None},
		{api.SlotPhysical, false, 150000, None},
		{api.SlotPhysical, true, 150000, Physical},
		{api.SlotPhysical, true, 180000, Physical},
		{api.SlotLogical, true, 150014, Unsupported},
		{api.SlotLogical, true, 160010, KeptLogical},
		{api.SlotLogical, true, 170000, Native},
		{api.SlotLogical, true, 180001, Native},
	}
	for _, tc := range cases {
		got := For(tc.typ, tc.failover, &postgres.Identity{VersionNum: tc.version})
		if got != tc.want {
			t.Errorf("For(%s, failover=%v, %d) = %v, want %v", tc.typ, tc.failover, tc.version, got, tc.want)
		}
	}
	if !Physical.KeptBySlotkeeper() || !KeptLogical.KeptBySlotkeeper() || Native.KeptBySlotkeeper() || None.KeptBySlotkeeper() {
		t.Error("KeptBySlotkeeper: slotkeeper keeps physical and 16's logical copies, and no others")
	}
}
