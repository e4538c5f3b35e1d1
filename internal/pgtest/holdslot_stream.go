package pgtest

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// startStreaming sends the command and reads until CopyBothResponse, the
// point from which the walsender holds the slot.
func startStreaming(ctx context.Context, conn *pgconn.PgConn, command string) error {
	conn.Frontend().Send(&pgproto3.Query{String: command})
	if err := conn.Frontend().Flush(); err != nil {
		return err
	}
	for {
		msg, err := conn.ReceiveMessage(ctx)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyBothResponse:
			return nil
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		case *pgproto3.ReadyForQuery:
			return errors.New(errMsgHoldStart)
		}
	}
}

// keepStreaming runs the consumer loop in a goroutine and returns release.
func keepStreaming(conn *pgconn.PgConn, dsn, slot string) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		consume(ctx, conn)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			closeCtx, stop := context.WithTimeout(context.Background(), holdReleaseWait)
			defer stop()
			_ = conn.Close(closeCtx)
			waitInactive(closeCtx, dsn, slot)
		})
	}
}

// consume discards streamed data and sends a standby status update when
// asked and every few seconds, so wal_sender_timeout never fires. It reports
// no progress (zero positions), so the slot does not advance.
func consume(ctx context.Context, conn *pgconn.PgConn) {
	for ctx.Err() == nil {
		rctx, stop := context.WithTimeout(ctx, holdStatusInterval)
		msg, err := conn.ReceiveMessage(rctx)
		stop()
		switch {
		case err != nil && ctx.Err() == nil && pgconn.Timeout(err):
			if sendStatus(conn) != nil {
				return
			}
		case err != nil:
			return
		}
		if m, ok := msg.(*pgproto3.CopyData); ok && isReplyRequested(m.Data) {
			if sendStatus(conn) != nil {
				return
			}
		}
		if _, ok := msg.(*pgproto3.ErrorResponse); ok {
			return
		}
	}
}

// isReplyRequested recognises a primary keepalive ('k', walEnd, clock,
// replyRequested) with its last byte set.
func isReplyRequested(data []byte) bool {
	return len(data) >= 18 && data[0] == 'k' && data[17] == 1
}

// sendStatus sends a standby status update ('r'): write, flush and apply
// positions (all 0), the client clock, and "no reply requested".
func sendStatus(conn *pgconn.PgConn) error {
	buf := make([]byte, 34)
	buf[0] = 'r'
	binary.BigEndian.PutUint64(buf[25:], uint64(time.Since(pgEpoch).Microseconds()))
	conn.Frontend().Send(&pgproto3.CopyData{Data: buf})
	return conn.Frontend().Flush()
}

// waitInactive polls until the walsender has released the slot, so callers
// can rely on the slot being inactive once release returns.
func waitInactive(ctx context.Context, dsn, slot string) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return
	}
	defer func() { _ = conn.Close(context.Background()) }()
	for ctx.Err() == nil {
		var active bool
		err := conn.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&active)
		if err != nil || !active {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
