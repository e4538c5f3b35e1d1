package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestValidateSlotName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"slot_1", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"Upper", false},
		{"with-dash", false},
		{"semi;colon", false},
		{"quote'", false},
		{ConflictDetectionSlot, false},
		{"pg_conflict_detection_2", true},
	}
	for _, tt := range tests {
		err := ValidateSlotName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateSlotName(%q) = %v", tt.name, err)
		}
		if err != nil && ReasonOf(err) != ReasonInvalidName {
			t.Errorf("ValidateSlotName(%q) reason = %s", tt.name, ReasonOf(err))
		}
	}
}

// failingQuerier fails the test if any SQL is sent.
type failingQuerier struct{ t *testing.T }

func (f failingQuerier) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	f.t.Fatal("unexpected Exec")
	return pgconn.CommandTag{}, nil
}

func (f failingQuerier) Query(context.Context, string, ...any) (pgx.Rows, error) {
	f.t.Fatal("unexpected Query")
	return nil, nil
}

func (f failingQuerier) QueryRow(context.Context, string, ...any) pgx.Row {
	f.t.Fatal("unexpected QueryRow")
	return nil
}

// TestNoRoundTripForInvalidInput: a 64-byte name would be truncated by the
// server, so it must be refused before any SQL is sent.
func TestNoRoundTripForInvalidInput(t *testing.T) {
	ctx, q, long := context.Background(), failingQuerier{t}, strings.Repeat("x", 64)
	checks := map[string]error{
		"logical":  second(CreateLogicalSlot(ctx, q, 170000, LogicalSlotOptions{Name: long, Plugin: "pgoutput"})),
		"plugin":   second(CreateLogicalSlot(ctx, q, 170000, LogicalSlotOptions{Name: "ok", Plugin: long})),
		"physical": second(CreatePhysicalSlot(ctx, q, long, true)),
		"drop":     DropSlot(ctx, q, long),
	}
	for what, err := range checks {
		if ReasonOf(err) != ReasonInvalidName {
			t.Errorf("%s: got %v, want InvalidName", what, err)
		}
	}
	_, err := CreateLogicalSlot(ctx, q, 160000, LogicalSlotOptions{Name: "ok", Plugin: "pgoutput", Failover: true})
	var pe *Error
	if !errors.As(err, &pe) || pe.Reason != ReasonUnsupported {
		t.Errorf("failover on 16: got %v, want Unsupported", err)
	}
}

func second[T any](_ T, err error) error { return err }
