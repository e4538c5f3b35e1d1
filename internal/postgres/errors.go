package postgres

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Reason is the outcome class of a failed PostgreSQL operation. Controllers
// turn it into status conditions, so the values are stable API.
type Reason string

// The reasons Classify can return.
const (
	ReasonPermissionDenied     Reason = "PermissionDenied"
	ReasonWALLevelTooLow       Reason = "WALLevelTooLow"
	ReasonTooManySlots         Reason = "TooManySlots"
	ReasonPluginMissing        Reason = "PluginMissing"
	ReasonSlotExists           Reason = "SlotExists"
	ReasonSlotActive           Reason = "SlotActive"
	ReasonAuthenticationFailed Reason = "AuthenticationFailed"
	// ReasonHostRefused: the operator's host policy forbids the address.
	ReasonHostRefused Reason = "HostRefused"
	// ReasonAuthMethodRefused: the server asked for the password in a way
	// the configuration does not allow; the password was not sent.
	ReasonAuthMethodRefused Reason = "AuthMethodRefused"
	ReasonServerUnavailable Reason = "ServerUnavailable"
	ReasonSlotNotFound      Reason = "SlotNotFound"
	ReasonInvalidName       Reason = "InvalidName"
	// ReasonInvalidInput: a value that cannot be sent at all (a NUL byte).
	ReasonInvalidInput    Reason = "InvalidInput"
	ReasonDatabaseMissing Reason = "DatabaseMissing"
	ReasonUnsupported     Reason = "Unsupported"
	ReasonUnknown         Reason = "Unknown"
)

// Error is a classified PostgreSQL failure. SQLState, Detail and Hint come
// from the server when it answered; Transient says retrying later may help
// without anybody changing anything.
type Error struct {
	Reason    Reason
	SQLState  string
	Message   string
	Detail    string
	Hint      string
	Transient bool
	Err       error
}

// Error renders reason, message and SQLSTATE. It never contains a password:
// pgconn redacts connection strings and we never add one.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Reason))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.SQLState != "" {
		b.WriteString(" (SQLSTATE ")
		b.WriteString(e.SQLState)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying pgx/pgconn/net error.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of err after classification ("" for nil).
func ReasonOf(err error) Reason {
	if e := Classify(err); e != nil {
		return e.Reason
	}
	return ""
}

// Classify maps any error from pgx, pgconn or the network to *Error; nil
// stays nil and an *Error passes through unchanged. It is a pure function.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classifyPgError(pe, err)
	}
	var hr *HostRefusedError
	switch {
	case errors.As(err, &hr):
		return &Error{Reason: ReasonHostRefused, Message: hr.Error() + hostRefusedAdvice, Err: err}
	case isAuthRefusal(err):
		// The server's pg_hba.conf (or an impostor) will ask the same way again.
		return &Error{Reason: ReasonAuthMethodRefused, Message: err.Error() + authRefusalAdvice, Err: err}
	case isTLSFailure(err):
		// A certificate problem does not go away by retrying.
		return &Error{Reason: ReasonUnknown, Message: err.Error(), Err: err}
	case isUnavailable(err):
		return &Error{Reason: ReasonServerUnavailable, Message: err.Error(), Transient: true, Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Reason: ReasonUnknown, Message: err.Error(), Transient: true, Err: err}
	}
	return &Error{Reason: ReasonUnknown, Message: err.Error(), Err: err}
}

// sqlStateReasons maps SQLSTATEs whose meaning does not depend on the message.
var sqlStateReasons = map[string]Reason{
	"42501": ReasonPermissionDenied, // also "must be superuser or replication role"
	"53400": ReasonTooManySlots,     // configuration_limit_exceeded: all replication slots are in use
	"58P01": ReasonPluginMissing,    // undefined_file: output plugin library not installed
	"42710": ReasonSlotExists,       // duplicate_object
	"55006": ReasonSlotActive,       // object_in_use: slot is active for PID n
	"28P01": ReasonAuthenticationFailed,
	"28000": ReasonAuthenticationFailed, // invalid_authorization_specification (pg_hba reject)
	"42704": ReasonSlotNotFound,         // undefined_object
	"3D000": ReasonDatabaseMissing,
	"42602": ReasonInvalidName, // invalid_name: slot name has invalid characters
	"42622": ReasonInvalidName, // name_too_long
	"0A000": ReasonUnsupported, // feature_not_supported
}

func classifyPgError(pe *pgconn.PgError, err error) *Error {
	e := &Error{
		Reason:   ReasonUnknown,
		SQLState: pe.Code,
		Message:  pe.Message,
		Detail:   pe.Detail,
		Hint:     pe.Hint,
		Err:      err,
	}
	if r, ok := sqlStateReasons[pe.Code]; ok {
		e.Reason = r
		return e
	}
	switch {
	case pe.Code == "55000":
		e.Reason = classifyPrerequisite(pe.Message)
	case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03",
		pe.Code == "53300", strings.HasPrefix(pe.Code, "08"):
		// Shutdown, crash recovery, "the database system is starting up",
		// too many connections and connection exceptions all pass by themselves.
		e.Reason, e.Transient = ReasonServerUnavailable, true
	case pe.Code == "57014", pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03":
		// Statement timeout, serialization failure, deadlock, lock timeout.
		e.Transient = true
	}
	return e
}

// classifyPrerequisite splits object_not_in_prerequisite_state (55000), which
// PostgreSQL uses for several unrelated configuration problems.
func classifyPrerequisite(msg string) Reason {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "wal_level"):
		return ReasonWALLevelTooLow
	case strings.Contains(m, "max_replication_slots"):
		// "replication slots can only be used if max_replication_slots > 0"
		return ReasonTooManySlots
	case strings.Contains(m, "recovery"), strings.Contains(m, "standby"):
		// e.g. logical decoding on a standby before PostgreSQL 16.
		return ReasonUnsupported
	}
	return ReasonUnknown
}

// isUnavailable reports network-level failures: the server could not be
// reached or went away. These are always worth retrying.
func isUnavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// isTLSFailure reports certificate verification and handshake errors.
func isTLSFailure(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &header)
}

// hostRefusedAdvice follows the policy's refusal in condition messages.
const hostRefusedAdvice = "; name a member of your PostgreSQL cluster, or ask the operator's administrator " +
	"(--allowed-networks, --denied-networks; Helm value hostPolicy)"

// authRefusalAdvice follows pgx's refusal in condition messages.
const authRefusalAdvice = "; the password was not sent. Configure scram-sha-256 for this role on the server " +
	"(password_encryption and pg_hba.conf, then set the password again), or, for a server proven yours " +
	"by TLS verify-full, add the method to spec.authMethods"

// isAuthRefusal reports pgx's refusal to answer an authentication request
// that require_auth or channel_binding rules out. pgconn has no error type
// for it, only these messages (pgconn/pgconn.go, connectOne).
func isAuthRefusal(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "require_auth check failed") || strings.Contains(msg, "channel binding check failed")
}
