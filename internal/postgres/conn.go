package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ApplicationName is sent on every connection so slotkeeper's sessions are
// recognisable in pg_stat_activity.
const ApplicationName = "slotkeeper"

// Defaults applied when ConnConfig leaves a duration at zero.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultStatementTimeout = 15 * time.Second
	DefaultPort             = 5432
)

const (
	errMsgNoHost    = "connection config: host is required"
	errMsgNoUser    = "connection config: user is required"
	errMsgBadPort   = "connection config: port out of range"
	errMsgNUL       = "connection config: the %s contains a NUL byte, which cannot be sent to PostgreSQL; fix the value"
	errMsgParseBase = "connection config: cannot initialise pgx config"
)

// ConnConfig is everything needed to reach one database as one role.
type ConnConfig struct {
	Host, Database, User, Password string
	Port                           int
	// TLSMode follows libpq's sslmode: disable, require, verify-ca or
	// verify-full; "" means disable.
	TLSMode string
	// CACertPEM is the trusted CA bundle for verify-ca and verify-full.
	CACertPEM []byte
	// ConnectTimeout bounds dialling and authentication, and is what the
	// operator waits for the server in a probe or read (Timeout); 0 means 5s.
	ConnectTimeout time.Duration
	// StatementTimeout becomes the session's statement_timeout; 0 means 15s.
	StatementTimeout time.Duration
	// AuthMethods are the ways the server may ask for the password, in
	// libpq's require_auth names; empty means scram-sha-256 alone.
	AuthMethods []string
	// Policy, when set, says which addresses may be dialled.
	Policy *HostPolicy
}

// MaxMessageBody bounds one protocol message from the server. pgx reads a
// message whole, trusting the length the server announces; the operator's
// largest answers (a slot list row, the identify row) are kilobytes, so a
// server announcing more gets the connection closed instead of a buffer.
const MaxMessageBody = 8 << 20

// DefaultAuthMethod is the only way a server may ask for the password
// unless the configuration allows more: SCRAM never reveals it.
const DefaultAuthMethod = "scram-sha-256"

// Config builds a pgx connection config. It starts from ParseConfig (pgx
// requires that) and then overwrites every field that libpq environment
// variables such as PGHOST or PGOPTIONS could have set, so the operator's
// own environment never leaks into a connection.
func (c ConnConfig) Config() (*pgx.ConnConfig, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	// "sslmode=disable" keeps PGSSLMODE/PGSSLROOTCERT from being parsed;
	// TLS is configured below from TLSMode.
	pc, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, &Error{Reason: ReasonUnknown, Message: errMsgParseBase, Err: err}
	}
	if err := c.apply(&pc.Config); err != nil {
		return nil, err
	}
	sizeCaches(pc)
	return pc, nil
}

// apply copies the settings into a pgconn config shared by plain
// connections and pools.
func (c ConnConfig) apply(pc *pgconn.Config) error {
	tlsConfig, err := c.tlsConfig()
	if err != nil {
		return err
	}
	pc.Host, pc.Port = c.Host, uint16(c.port())
	pc.Database, pc.User, pc.Password = c.Database, c.User, c.Password
	pc.TLSConfig = tlsConfig
	pc.RequireAuth, pc.ChannelBinding = c.authPolicy()
	pc.Fallbacks = nil // no "prefer"-style plaintext retry
	pc.MaxProtocolMessageBodyLen = MaxMessageBody
	if c.Policy != nil {
		pc.DialFunc = c.Policy.Dialer().DialContext
	}
	pc.ConnectTimeout = c.Timeout()
	pc.ValidateConnect = nil
	pc.RuntimeParams = map[string]string{
		"application_name":  ApplicationName,
		"statement_timeout": strconv.FormatInt(orDefault(c.StatementTimeout, DefaultStatementTimeout).Milliseconds(), 10),
	}
	return nil
}

// Timeout is how long to wait for the server: to connect, and for a probe
// or read, which may have to connect first. statement_timeout cannot bound
// those when no byte reaches the server (a black hole), so the caller's
// context must.
func (c ConnConfig) Timeout() time.Duration {
	return orDefault(c.ConnectTimeout, DefaultConnectTimeout)
}

// authPolicy is what pgx checks before it answers an authentication
// request: the methods allowed (any other request ends the connection with
// the password unsent), and whether SCRAM must be bound to the TLS channel.
// Binding is required when TLS is on and SCRAM is the only method, so that
// a TLS endpoint in the middle cannot relay the exchange; when md5 or a
// cleartext password is allowed, requiring it would refuse those anyway.
func (c ConnConfig) authPolicy() (requireAuth, channelBinding string) {
	methods := c.AuthMethods
	if len(methods) == 0 {
		methods = []string{DefaultAuthMethod}
	}
	binding := "prefer"
	if c.TLSMode != "" && c.TLSMode != "disable" && len(methods) == 1 && methods[0] == DefaultAuthMethod {
		binding = "require"
	}
	return strings.Join(methods, ","), binding
}

func (c ConnConfig) validate() error {
	switch {
	case c.Host == "":
		return &Error{Reason: ReasonUnknown, Message: errMsgNoHost}
	case c.User == "":
		return &Error{Reason: ReasonUnknown, Message: errMsgNoUser}
	case c.Port < 0 || c.Port > 65535:
		return &Error{Reason: ReasonUnknown, Message: errMsgBadPort}
	}
	// The protocol cannot carry a NUL byte; say which field has one instead
	// of failing like an unreachable server (and retrying forever).
	for _, f := range [][2]string{{"host", c.Host}, {"database", c.Database}, {"user", c.User}, {"password", c.Password}} {
		if strings.ContainsRune(f[1], 0) {
			return &Error{Reason: ReasonInvalidInput, Message: fmt.Sprintf(errMsgNUL, f[0])}
		}
	}
	return nil
}

func (c ConnConfig) port() int {
	if c.Port == 0 {
		return DefaultPort
	}
	return c.Port
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Connect opens one connection. Errors are classified *Error values.
func Connect(ctx context.Context, cfg ConnConfig) (*pgx.Conn, error) {
	pc, err := cfg.Config()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, Classify(err)
	}
	return conn, nil
}
