package postgres

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// DropAnswered separates what PostgreSQL said (the drop's outcome is
// certain) from a failure on the way (it may or may not have dropped).
func TestDropAnswered(t *testing.T) {
	active := &pgconn.PgError{Code: "55006", Message: `replication slot "s" is active for PID 7`}
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
		{"connection cut", Classify(io.ErrUnexpectedEOF), false},
		{"cancelled mid-statement", Classify(context.Canceled), false},
		{"deadline mid-statement", fmt.Errorf("drop: %w", context.DeadlineExceeded), false},
	} {
		if got := DropAnswered(c.err); got != c.want {
			t.Errorf("%s: DropAnswered(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
