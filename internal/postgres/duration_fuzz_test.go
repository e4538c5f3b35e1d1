package postgres

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

var fuzzBases = []time.Duration{time.Millisecond, time.Second, time.Minute, time.Microsecond}

// FuzzParseSettingDuration feeds arbitrary text: ParseSettingDuration never
// panics, never returns a value together with an error, stays within the
// range it promises, and is deterministic.
func FuzzParseSettingDuration(f *testing.F) {
	for _, s := range []string{
		"1min", "60s", "0", "500", "250ms", " 2 h ", "1d", "-1", "", "min", "5 fortnights",
		"1e400s", "9223372036854775807us", "4611686018427387904", "4611686018427387905",
		"NaN", "Inf", "-Inf", "infinity", "-0", ".", "-", "--1", "1.5.5", "-.5ms", "1.5h",
		"0x10s", "1_000ms", "１s", "1 s s", "1\x00s", "1s\x00", "\t\n1\v\fmin", "1e3",
		strings.Repeat("9", 400), "0." + strings.Repeat("0", 400) + "1d",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, baseSel uint8) {
		base := fuzzBases[int(baseSel)%len(fuzzBases)]
		d, err := ParseSettingDuration(s, base)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseSettingDuration(%q) = %v together with error %v", s, d, err)
			}
			return
		}
		if d > 1<<62 || d < -(1<<62) {
			t.Fatalf("ParseSettingDuration(%q) = %v, outside ±2^62ns", s, d)
		}
		if d2, err2 := ParseSettingDuration(s, base); d2 != d || err2 != nil {
			t.Fatalf("ParseSettingDuration(%q) not deterministic: %v then %v, %v", s, d, d2, err2)
		}
	})
}

// FuzzParseSettingDurationUnits builds "<n>[.5][ ]<unit>" with |n| < 2^20,
// as current_setting() could show it, and checks the exact value: n times
// the unit (the base unit for a bare number), or an error past ±2^62ns.
func FuzzParseSettingDurationUnits(f *testing.F) {
	f.Add(uint32(1), uint8(0), false, false, false, false)
	f.Add(uint32(60), uint8(2), false, false, false, false)
	f.Add(uint32(1), uint8(5), true, true, true, true)
	f.Add(uint32(1<<20-1), uint8(5), false, false, false, false)
	f.Add(uint32(53375), uint8(5), false, false, false, false)
	f.Add(uint32(0), uint8(6), true, false, false, true)
	units := []string{"us", "ms", "s", "min", "h", "d", ""}
	f.Fuzz(func(t *testing.T, m uint32, unitSel uint8, neg, half, space, pad bool) {
		m %= 1 << 20
		unit := units[int(unitSel)%len(units)]
		mult := settingUnits[unit]
		if unit == "" {
			mult = time.Millisecond // the base, as for wal_sender_timeout
		}
		s := strconv.FormatUint(uint64(m), 10)
		if half {
			s += ".5"
		}
		if neg {
			s = "-" + s
		}
		if space && unit != "" {
			s += " "
		}
		s += unit
		if pad {
			s = " \t" + s + "\n "
		}
		// want = ±(2m+h)·mult/2, computed exactly.
		h := int64(0)
		if half {
			h = 1
		}
		want := new(big.Int).Mul(big.NewInt(2*int64(m)+h), big.NewInt(int64(mult)))
		want.Quo(want, big.NewInt(2))
		if neg {
			want.Neg(want)
		}
		limit := new(big.Int).Lsh(big.NewInt(1), 62)
		outOfRange := new(big.Int).Abs(want).Cmp(limit) > 0
		d, err := ParseSettingDuration(s, time.Millisecond)
		switch {
		case outOfRange && err == nil:
			t.Fatalf("ParseSettingDuration(%q) = %v, want an out-of-range error", s, d)
		case !outOfRange && err != nil:
			t.Fatalf("ParseSettingDuration(%q): %v", s, err)
		case !outOfRange && int64(d) != want.Int64():
			t.Fatalf("ParseSettingDuration(%q) = %dns, want %sns", s, int64(d), want)
		}
	})
}
