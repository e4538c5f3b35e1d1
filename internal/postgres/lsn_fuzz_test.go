package postgres

import (
	"fmt"
	"strings"
	"testing"
)

// pgLSNIn mirrors PostgreSQL's pg_lsn_in_internal (src/backend/utils/adt/
// pg_lsn.c), the input function of pg_lsn: 1 to 8 hex digits, '/', 1 to 8
// hex digits, end of string. No sign, no "0x", no white space, no
// underscores.
func pgLSNIn(s string) (uint64, bool) {
	hexPart := func(s string) (uint64, int) {
		var v uint64
		n := 0
		for n < len(s) {
			c := s[n]
			var d byte
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return v, n
			}
			v = v<<4 | uint64(d)
			n++
		}
		return v, n
	}
	hi, n1 := hexPart(s)
	if n1 < 1 || n1 > 8 || n1 >= len(s) || s[n1] != '/' {
		return 0, false
	}
	rest := s[n1+1:]
	lo, n2 := hexPart(rest)
	if n2 < 1 || n2 > 8 || n2 != len(rest) {
		return 0, false
	}
	return hi<<32 | lo, true
}

// FuzzParseLSN checks ParseLSN against PostgreSQL's own pg_lsn input rules:
// it accepts exactly what the server accepts, with the same value, and what
// it accepts survives a String/ParseLSN round trip.
func FuzzParseLSN(f *testing.F) {
	for _, s := range []string{
		"0/0", "0/16B3748", "16/B374D848", "16/b374d848", "FFFFFFFF/FFFFFFFF",
		"00000000/00000001", "", "/", "16", "/1", "1/", "1//1", "1/1/1",
		"G/0", "100000000/0", "0/100000000", "-1/0", "+1/0", "0x1/0", "1/0x1",
		" 0/0", "0/0 ", "0/0\n", "0/0\x00", "1_0/0", "１/0", "0/-0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseLSN(s)
		want, ok := pgLSNIn(s)
		if ok != (err == nil) {
			t.Fatalf("ParseLSN(%q) error = %v; PostgreSQL's pg_lsn would accept it: %v", s, err, ok)
		}
		if err != nil {
			if got != 0 {
				t.Fatalf("ParseLSN(%q) returned %d together with error %v", s, got, err)
			}
			if !strings.Contains(err.Error(), errMsgInvalidLSN) {
				t.Fatalf("ParseLSN(%q) error %q does not say %q", s, err, errMsgInvalidLSN)
			}
			var l LSN
			if l.Scan(s) == nil || l.Scan([]byte(s)) == nil {
				t.Fatalf("Scan(%q) accepted what ParseLSN refuses", s)
			}
			return
		}
		if uint64(got) != want {
			t.Fatalf("ParseLSN(%q) = %X, PostgreSQL reads %X", s, uint64(got), want)
		}
		// Round trip: the canonical form parses back to the same value and
		// is the upper-case, unpadded spelling PostgreSQL prints.
		str := got.String()
		back, err := ParseLSN(str)
		if err != nil || back != got {
			t.Fatalf("ParseLSN(%q).String() = %q parses back to %v, %v", s, str, back, err)
		}
		if canon := fmt.Sprintf("%X/%X", want>>32, want&0xFFFFFFFF); str != canon {
			t.Fatalf("String() = %q, want %q", str, canon)
		}
		var l LSN
		if err := l.Scan(s); err != nil || l != got {
			t.Fatalf("Scan(%q) = %v, %v; want %v", s, l, err, got)
		}
		l = 0
		if err := l.Scan([]byte(s)); err != nil || l != got {
			t.Fatalf("Scan([]byte(%q)) = %v, %v; want %v", s, l, err, got)
		}
	})
}

// FuzzLSNString checks that every LSN prints as text that both ParseLSN and
// PostgreSQL's pg_lsn input read back as the same value.
func FuzzLSNString(f *testing.F) {
	for _, v := range []uint64{0, 1, 0x16B3748, 0x16B374D848, 0xFFFFFFFF, 0x100000000, 0xFFFFFFFF00000000, ^uint64(0)} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		l := LSN(v)
		s := l.String()
		back, err := ParseLSN(s)
		if err != nil || back != l {
			t.Fatalf("ParseLSN(LSN(%#x).String() = %q) = %v, %v", v, s, back, err)
		}
		if pg, ok := pgLSNIn(s); !ok || pg != v {
			t.Fatalf("PostgreSQL would read %q as %#x (ok=%v), want %#x", s, pg, ok, v)
		}
		if s != strings.ToUpper(s) {
			t.Fatalf("String() = %q is not upper case", s)
		}
		dv, err := l.Value()
		if err != nil || dv != s {
			t.Fatalf("Value() = %v, %v; want %q", dv, err, s)
		}
	})
}
