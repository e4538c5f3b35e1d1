package postgres

import "context"

// AdvanceSlot moves a slot's position forward to lsn (never back): on a
// standby this keeps an operator-kept copy of a physical slot in step with
// the primary's. It returns the slot's position afterwards.
func AdvanceSlot(ctx context.Context, q Querier, name string, lsn LSN) (LSN, error) {
	if err := ValidateSlotName(name); err != nil {
		return 0, err
	}
	var end *string
	err := q.QueryRow(ctx, `SELECT end_lsn::text FROM pg_replication_slot_advance($1, $2::text::pg_lsn)`, name, lsn.String()).Scan(&end)
	if err != nil {
		return 0, Classify(err)
	}
	if end == nil {
		return 0, nil
	}
	return ParseLSN(*end)
}
