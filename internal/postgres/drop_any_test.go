package postgres

import "context"

// DropSlot drops an inactive slot of any kind, for tests that clean up:
// the operator always names what it drops (DropSlotIf).
func DropSlot(ctx context.Context, q Querier, name string) error {
	return DropSlotIf(ctx, q, name, nil)
}
