package postgres

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// NeverSent says a creation certainly made nothing only when no statement
// can have reached a server: a connection that was never made, also when a
// pool dials lazily inside the statement's own call, as the creations'
// pools do.
func TestNeverSent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "postgres://nobody@" + closedAddr(t) + "/postgres?connect_timeout=2"
	_, dialErr := pgconn.Connect(ctx, url)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	b := &pgx.Batch{}
	b.Queue("SELECT 1")
	lazyErr := pool.SendBatch(ctx, b).Close()
	if dialErr == nil || lazyErr == nil {
		t.Fatalf("dialling a closed port succeeded: %v, %v", dialErr, lazyErr)
	}
	cut := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"connect refused", dialErr, true},
		{"connect refused, classified", Classify(dialErr), true},
		{"a pool's lazy dial, from the statement's call", Classify(fmt.Errorf("create: %w", lazyErr)), true},
		{"marked not sent", Classify(NotSent(context.DeadlineExceeded)), true},
		{"connection cut mid-statement", Classify(io.ErrUnexpectedEOF), false},
		{"session ended by the server", Classify(cut), false},
		{"name taken", Classify(&pgconn.PgError{Code: "42710"}), false},
		{"deadline mid-statement", fmt.Errorf("create: %w", context.DeadlineExceeded), false},
	} {
		if got := NeverSent(c.err); got != c.want {
			t.Errorf("%s: NeverSent(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
