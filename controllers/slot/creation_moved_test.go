package slot

import (
	"context"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/slotkeeper/slotkeeper/internal/creator"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestCreationMoved(t *testing.T) {
	target := &observation.Member{Endpoint: observation.Endpoint{Host: "b", Port: 5432}}
	cases := []struct {
		name string
		st   creator.State
		want bool
	}{
		{"runs on the target", creator.State{Host: "b", Port: 5432}, false},
		{"runs on another host", creator.State{Host: "a", Port: 5432}, true},
		{"runs on another port of the host", creator.State{Host: "b", Port: 5433}, true},
		{"member unknown (a state from before it was kept)", creator.State{}, false},
	}
	for _, tc := range cases {
		if got := creationMoved(tc.st, target); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestMayHaveMade(t *testing.T) {
	cases := []struct {
		name string
		st   creator.State
		want bool
	}{
		{"finished: it made the slot", creator.State{Done: true}, true},
		{"the name was taken: somebody else's slot", creator.State{Done: true,
			Err: &pgconn.PgError{Code: "42710", Message: `replication slot "x" already exists`}}, false},
		{"the plugin is missing: nothing made", creator.State{Done: true,
			Err: &pgconn.PgError{Code: "58P01", Message: "could not access file"}}, false},
		{"the connection broke mid-statement", creator.State{Done: true, Err: io.ErrUnexpectedEOF}, true},
		{"cancelled while queued: nothing sent", creator.State{Done: true, Err: postgres.NotSent(context.Canceled)}, false},
		{"cancelled while it waited in PostgreSQL", creator.State{Done: true, Err: context.Canceled}, true},
		{"PostgreSQL cancelled the statement", creator.State{Done: true,
			Err: &pgconn.PgError{Code: "57014", Message: "canceling statement due to user request"}}, false},
	}
	for _, tc := range cases {
		if got := mayHaveMade(tc.st); got != tc.want {
			t.Errorf("%s: got %v (classified %+v)", tc.name, got, postgres.Classify(tc.st.Err))
		}
	}
}
