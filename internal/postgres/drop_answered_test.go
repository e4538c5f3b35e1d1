package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// DropOutcomeKnown separates what says for certain whether the slot was
// dropped (PostgreSQL refused before dropping, or nothing was sent) from a
// failure that may come after the drop.
func TestDropOutcomeKnown(t *testing.T) {
	active := &pgconn.PgError{Code: "55006", Message: `replication slot "s" is active for PID 7`}
	timeout := &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}
	shutdown := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"dropped", nil, true},
		{"server error", active, true},
		{"server error, classified", Classify(fmt.Errorf("drop: %w", active)), true},
		{"no such slot (no row)", &Error{Reason: ReasonSlotNotFound, Message: errMsgSlotNotFound}, true},
		{"another slot now (row)", &Error{Reason: ReasonSlotExists, Message: errMsgSlotReplaced}, true},
		{"no such slot (server)", &pgconn.PgError{Code: "42704"}, true},
		{"no right", Classify(&pgconn.PgError{Code: "42501"}), true},
		{"statement timeout: may come after the drop", timeout, false},
		{"statement timeout, classified", Classify(timeout), false},
		{"shutdown ends the session", Classify(shutdown), false},
		{"connection cut", Classify(io.ErrUnexpectedEOF), false},
		{"no connection to send it on", NotSent(fmt.Errorf("dial: %w", io.ErrUnexpectedEOF)), true},
		{"no connection, classified", Classify(NotSent(context.DeadlineExceeded)), true},
		{"cancelled mid-statement", Classify(context.Canceled), false},
		{"deadline mid-statement", fmt.Errorf("drop: %w", context.DeadlineExceeded), false},
	} {
		if got := DropOutcomeKnown(c.err); got != c.want {
			t.Errorf("%s: DropOutcomeKnown(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// NotSent over an error classified first keeps its reason and whether it
// is transient: the deletion's condition says the same as without it.
func TestNotSentKeepsClassification(t *testing.T) {
	inner := Classify(errors.New("server is not monitored yet"))
	got := Classify(NotSent(inner))
	if got.Reason != inner.Reason || got.Transient != inner.Transient || got.Message != inner.Message {
		t.Fatalf("NotSent changed the classification: %+v, was %+v", got, inner)
	}
	if !DropOutcomeKnown(NotSent(inner)) {
		t.Fatal("a DROP that was never sent counted as unknown")
	}
}
