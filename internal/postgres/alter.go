package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// alterWait bounds ALTER_REPLICATION_SLOT: PostgreSQL waits, without limit,
// for a consumer to release the slot before altering it.
const alterWait = 5 * time.Second

const errMsgAlterWaited = "the slot stayed in use by a consumer; failover can only be switched while it is released"

// SetSlotFailover switches a logical slot's failover property (PostgreSQL
// 17+). No SQL function can change it: only the replication command
// ALTER_REPLICATION_SLOT, so this opens a short walsender connection
// (replication=database) to the slot's database. The role needs the
// REPLICATION attribute and a pg_hba.conf "replication" entry. A slot held
// by a consumer cannot be altered: after alterWait the command is cancelled
// and ReasonSlotActive returned.
func SetSlotFailover(ctx context.Context, cfg ConnConfig, name string, on bool) error {
	if err := ValidateSlotName(name); err != nil {
		return err
	}
	conn, err := connectWalsender(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	value := "false"
	if on {
		value = "true"
	}
	// Replication commands take no parameters; the name is validated and
	// quoted as an identifier.
	cmd := "ALTER_REPLICATION_SLOT " + pgx.Identifier{name}.Sanitize() + " ( FAILOVER " + value + " )"
	wctx, cancel := context.WithTimeout(ctx, alterWait)
	defer cancel()
	if _, err := conn.Exec(wctx, cmd).ReadAll(); err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return &Error{Reason: ReasonSlotActive, Message: errMsgAlterWaited, Detail: "slot " + name, Err: err}
		}
		return Classify(err)
	}
	return nil
}

// connectWalsender opens a replication=database connection whose cancelled
// commands are cancelled on the server too (a cancel request), so that no
// walsender is left waiting after the operator gave up.
func connectWalsender(ctx context.Context, cfg ConnConfig) (*pgconn.PgConn, error) {
	pc, err := cfg.Config()
	if err != nil {
		return nil, err
	}
	pc.RuntimeParams["replication"] = "database"
	pc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	conn, err := pgconn.ConnectConfig(ctx, &pc.Config)
	if err != nil {
		return nil, Classify(err)
	}
	return conn, nil
}
