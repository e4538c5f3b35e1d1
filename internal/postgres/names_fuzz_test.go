package postgres

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// pgSlotNameOK mirrors ReplicationSlotValidateName (src/backend/replication/
// slot.c): at least one byte, shorter than NAMEDATALEN (64), and only
// a-z, 0-9 and '_'. PostgreSQL sees a C string, so a NUL would silently end
// the name there; the byte loop below refuses it instead, like slotkeeper
// must.
func pgSlotNameOK(s string) bool {
	if len(s) == 0 || len(s) >= 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

var nameSeeds = []string{
	"orders_cdc", "a", "_", "0", "123", strings.Repeat("a", 63), strings.Repeat("a", 64),
	"", "Orders", "orders-cdc", "orders.cdc", "orders cdc", "x'; DROP TABLE t; --",
	`x"y`, "a\x00b", "a\x00", "\x00", "a\n", "a\t", "слот", "slot🙂", "ß", "ａ",
	"orders_cdc\n", strings.Repeat("é", 31), strings.Repeat("é", 32), "\xff", "a\u200bb",
}

// FuzzValidateSlotName checks that ValidateSlotName accepts exactly the
// names PostgreSQL accepts without truncating them, and that no accepted
// name can carry quoting, white space, NUL, upper case or non-ASCII.
func FuzzValidateSlotName(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateSlotName(s)
		if want := pgSlotNameOK(s); want != (err == nil) {
			t.Fatalf("ValidateSlotName(%q) = %v; PostgreSQL accepts it untruncated: %v", s, err, want)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason != ReasonInvalidName || pe.Detail != s {
				t.Fatalf("ValidateSlotName(%q) = %#v, want *Error with ReasonInvalidName and the name as Detail", s, err)
			}
			return
		}
		if len(s) < 1 || len(s) > MaxNameLen {
			t.Fatalf("accepted %q of %d bytes", s, len(s))
		}
		if !utf8.ValidString(s) || strings.ContainsAny(s, "'\"`\\; \t\r\n\x00-./") {
			t.Fatalf("accepted %q, which needs quoting", s)
		}
		for _, r := range s {
			if r > 0x7f || (r >= 'A' && r <= 'Z') {
				t.Fatalf("accepted %q with rune %q", s, r)
			}
		}
	})
}

// FuzzValidatePlugin checks the rule validatePlugin implements: a plugin
// name is 1 to 63 bytes, so PostgreSQL never truncates it to the name type
// and loads another library, and a plain library name (letters, digits,
// '_', '.', '-'; not starting with '.' or '-'), never a path.
func FuzzValidatePlugin(f *testing.F) {
	for _, s := range append(nameSeeds, "pgoutput", "test_decoding", "wal2json", "decoderbufs", "$libdir/pgoutput", "/tmp/evil") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validatePlugin(s)
		want := len(s) >= 1 && len(s) <= MaxNameLen && plainLibraryName(s)
		if want != (err == nil) {
			t.Fatalf("validatePlugin(%q) (%d bytes) = %v, want accepted=%v", s, len(s), err, want)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason != ReasonInvalidName || pe.Detail != s {
				t.Fatalf("validatePlugin(%q) = %#v, want *Error with ReasonInvalidName and the name as Detail", s, err)
			}
			if pe.Message != errMsgPluginEmpty && pe.Message != errMsgPluginTooLong && pe.Message != errMsgPluginChars {
				t.Fatalf("validatePlugin(%q) message %q", s, pe.Message)
			}
		}
	})
}

// plainLibraryName is the plugin rule written out by hand, independent of
// the regular expression it checks.
func plainLibraryName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
		if !alnum && (i == 0 || (c != '.' && c != '-')) {
			return false
		}
	}
	return true
}
