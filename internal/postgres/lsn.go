package postgres

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
)

// LSN is a WAL position (PostgreSQL's pg_lsn), a byte offset into the WAL.
type LSN uint64

const errMsgInvalidLSN = "invalid LSN"

// ParseLSN parses the textual form PostgreSQL prints, "16/B374D848": the
// high and low 32 bits in hexadecimal separated by a slash.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("%s %q", errMsgInvalidLSN, s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q", errMsgInvalidLSN, s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q", errMsgInvalidLSN, s)
	}
	return LSN(h<<32 | l), nil
}

// String formats the LSN like PostgreSQL does (upper-case hex, no padding),
// so values can be compared with what psql shows.
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF)
}

// Scan implements sql.Scanner so an LSN (or *LSN for nullable columns) can be
// a pgx scan target for a pg_lsn column read in text form.
func (l *LSN) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return l.parseInto(v)
	case []byte:
		return l.parseInto(string(v))
	case nil:
		return fmt.Errorf("%s: NULL (scan into *LSN instead)", errMsgInvalidLSN)
	default:
		return fmt.Errorf("%s: cannot scan %T", errMsgInvalidLSN, src)
	}
}

func (l *LSN) parseInto(s string) error {
	v, err := ParseLSN(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Value implements driver.Valuer so an LSN can be passed as a query
// parameter; PostgreSQL casts the text to pg_lsn.
func (l LSN) Value() (driver.Value, error) {
	return l.String(), nil
}

// parseNullLSN converts a nullable text column to *LSN.
func parseNullLSN(s *string) (*LSN, error) {
	if s == nil {
		return nil, nil
	}
	v, err := ParseLSN(*s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
