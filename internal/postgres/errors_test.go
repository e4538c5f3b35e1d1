package postgres

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func pgErr(code, msg string) error {
	return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code, Message: msg, Severity: "ERROR"})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		reason    Reason
		transient bool
	}{
		{"permission denied", pgErr("42501", "permission denied to use replication slots"), ReasonPermissionDenied, false},
		{"must be superuser", pgErr("42501", "must be superuser or replication role to use replication slots"), ReasonPermissionDenied, false},
		{"wal_level", pgErr("55000", "logical decoding requires wal_level >= logical"), ReasonWALLevelTooLow, false},
		{"wal_level 18 quoting", pgErr("55000", `logical decoding requires "wal_level" >= "logical"`), ReasonWALLevelTooLow, false},
		{"slots disabled", pgErr("55000", "replication slots can only be used if max_replication_slots > 0"), ReasonTooManySlots, false},
		{"in recovery", pgErr("55000", "logical decoding cannot be used while in recovery"), ReasonUnsupported, false},
		{"other prerequisite", pgErr("55000", "something else"), ReasonUnknown, false},
		{"too many slots", pgErr("53400", "all replication slots are in use"), ReasonTooManySlots, false},
		{"plugin missing", pgErr("58P01", `could not access file "no_such_plugin": No such file or directory`), ReasonPluginMissing, false},
		{"slot exists", pgErr("42710", `replication slot "a" already exists`), ReasonSlotExists, false},
		{"slot active", pgErr("55006", `replication slot "a" is active for PID 42`), ReasonSlotActive, false},
		{"bad password", pgErr("28P01", `password authentication failed for user "x"`), ReasonAuthenticationFailed, false},
		{"hba reject", pgErr("28000", `no pg_hba.conf entry`), ReasonAuthenticationFailed, false},
		{"slot not found", pgErr("42704", `replication slot "a" does not exist`), ReasonSlotNotFound, false},
		{"database missing", pgErr("3D000", `database "x" does not exist`), ReasonDatabaseMissing, false},
		{"invalid name", pgErr("42602", `replication slot name "A" contains invalid character`), ReasonInvalidName, false},
		{"name too long", pgErr("42622", `replication slot name is too long`), ReasonInvalidName, false},
		{"not supported", pgErr("0A000", `not supported`), ReasonUnsupported, false},
		{"admin shutdown", pgErr("57P01", "terminating connection due to administrator command"), ReasonServerUnavailable, true},
		{"crash shutdown", pgErr("57P02", "crash"), ReasonServerUnavailable, true},
		{"starting up", pgErr("57P03", "the database system is starting up"), ReasonServerUnavailable, true},
		{"too many connections", pgErr("53300", "sorry, too many clients already"), ReasonServerUnavailable, true},
		{"connection exception", pgErr("08006", "connection failure"), ReasonServerUnavailable, true},
		{"statement timeout", pgErr("57014", "canceling statement due to statement timeout"), ReasonUnknown, true},
		{"syntax", pgErr("42601", "syntax error"), ReasonUnknown, false},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, ReasonServerUnavailable, true},
		{"dns", fmt.Errorf("dial: %w", &net.DNSError{Err: "no such host", Name: "nope"}), ReasonServerUnavailable, true},
		{"eof", fmt.Errorf("read: %w", io.EOF), ReasonServerUnavailable, true},
		{"unexpected eof", io.ErrUnexpectedEOF, ReasonServerUnavailable, true},
		{"deadline", fmt.Errorf("connect: %w", context.DeadlineExceeded), ReasonServerUnavailable, true},
		{"canceled", context.Canceled, ReasonUnknown, true},
		{"tls unknown authority", fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), ReasonUnknown, false},
		{"plain", errors.New("boom"), ReasonUnknown, false},
		{"already classified", &Error{Reason: ReasonSlotActive}, ReasonSlotActive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.err)
			if got == nil {
				t.Fatal("Classify returned nil")
			}
			if got.Reason != tt.reason || got.Transient != tt.transient {
				t.Fatalf("Classify(%v) = %s transient=%v, want %s transient=%v", tt.err, got.Reason, got.Transient, tt.reason, tt.transient)
			}
			if !errors.Is(got, tt.err) && !errors.As(tt.err, new(*Error)) {
				t.Fatalf("classified error does not wrap the original")
			}
		})
	}
	if Classify(nil) != nil {
		t.Fatal("Classify(nil) must be nil")
	}
}

func TestClassifyKeepsServerFields(t *testing.T) {
	e := Classify(&pgconn.PgError{Code: "53400", Message: "all replication slots are in use", Hint: "Free one or increase max_replication_slots."})
	if e.SQLState != "53400" || e.Hint == "" || e.Message == "" {
		t.Fatalf("fields lost: %+v", e)
	}
	if got := e.Error(); got != "TooManySlots: all replication slots are in use (SQLSTATE 53400)" {
		t.Fatalf("Error() = %q", got)
	}
	if ReasonOf(e) != ReasonTooManySlots || ReasonOf(nil) != "" {
		t.Fatal("ReasonOf")
	}
}

func TestRemediation(t *testing.T) {
	tests := []struct {
		e    *Error
		want string
	}{
		{&Error{Reason: ReasonPermissionDenied}, `ALTER ROLE "app" REPLICATION`},
		{&Error{Reason: ReasonWALLevelTooLow}, "wal_level = logical and restart PostgreSQL"},
		{&Error{Reason: ReasonWALLevelTooLow, Message: `logical decoding on standby requires "effective_wal_level" >= "logical" on the primary`}, "keep a logical slot there"},
		{&Error{Reason: ReasonTooManySlots}, "max_replication_slots"},
		{&Error{Reason: ReasonPluginMissing, Message: `could not access file "wal2json": No such file or directory`}, "output plugin wal2json"},
		{&Error{Reason: ReasonAuthenticationFailed}, "password"},
		{&Error{Reason: ReasonInvalidName}, "63 bytes"},
		{&Error{Reason: ReasonUnknown, Hint: "do this"}, "do this"},
	}
	for _, tt := range tests {
		if got := Remediation(tt.e, "app"); !strings.Contains(got, tt.want) {
			t.Errorf("Remediation(%s) = %q, want it to contain %q", tt.e.Reason, got, tt.want)
		}
	}
	for _, r := range []Reason{ReasonSlotExists, ReasonSlotActive, ReasonServerUnavailable, ReasonSlotNotFound, ReasonDatabaseMissing, ReasonUnsupported} {
		if Remediation(&Error{Reason: r}, "app") == "" {
			t.Errorf("no remediation for %s", r)
		}
	}
	if Remediation(nil, "x") != "" {
		t.Error("nil error must have no remediation")
	}
}

// A role name from a Secret is quoted in the SQL a message suggests: the
// pasted statement names that role and nothing else.
func TestQuoteRole(t *testing.T) {
	for in, want := range map[string]string{
		"slotkeeper":             `"slotkeeper"`,
		"Team-A":                 `"Team-A"`,
		`x"; DROP ROLE admin; -`: `"x""; DROP ROLE admin; -"`,
		"<role>":                 "<role>",
	} {
		if got := QuoteRole(in); got != want {
			t.Errorf("QuoteRole(%q) = %s, want %s", in, got, want)
		}
	}
}
