package status

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/slotkeeper/slotkeeper/internal/observation"
)

var formattedBytes = regexp.MustCompile(`^(?:([0-9]+)B|([0-9]+\.[0-9])([KMGTPE])iB)$`)

// FuzzFormatBytes: FormatBytes never panics, a count >= 0 prints as
// "<n>B" below 1 KiB and otherwise as one decimal in the largest IEC unit
// not above it, close to the true value; a negative count is "-" and the
// magnitude.
//
// math.MinInt64 is a seed: its negation overflows, which once made
// FormatBytes recurse until the stack overflowed.
func FuzzFormatBytes(f *testing.F) {
	for _, n := range []int64{
		0, 1, 1023, 1024, 1025, 1536, 1<<20 - 1, 1 << 20, 16 << 20, 1<<30 + 1<<29, 1 << 40, 1 << 50, 1 << 60,
		math.MaxInt64, -1, -1023, -1024, -(16 << 20), math.MinInt64 + 1, math.MinInt64,
	} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		s := FormatBytes(n)
		if n < 0 {
			if n == math.MinInt64 {
				if !strings.HasPrefix(s, "-") || !formattedBytes.MatchString(s[1:]) {
					t.Fatalf("FormatBytes(MinInt64) = %q", s)
				}
				return
			}
			if want := "-" + FormatBytes(-n); s != want {
				t.Fatalf("FormatBytes(%d) = %q, want %q", n, s, want)
			}
			return
		}
		m := formattedBytes.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("FormatBytes(%d) = %q has no unit", n, s)
		}
		if m[1] != "" {
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil || v != n || n >= 1024 {
				t.Fatalf("FormatBytes(%d) = %q", n, s)
			}
			return
		}
		exp := strings.Index("KMGTPE", m[3]) + 1
		unitN := int64(1) << (10 * exp)
		unit := float64(unitN)
		// The largest unit not above n (EiB being the largest there is), or
		// the next one up when the lower would read 1024.0 after rounding.
		roundsUp := float64(n) >= unit*(1-0.05/1024)
		if (n < unitN && !roundsUp) || (exp < 6 && n/1024 >= unitN) {
			t.Fatalf("FormatBytes(%d) = %q uses the wrong unit", n, s)
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		// One decimal: within half a tenth of the unit (plus float slack).
		// The figure may read 1024.0 just below the next unit (1048575 is
		// "1024.0KiB"), so it is bounded by 1024 inclusive.
		if v < 1 || v > 1024 || math.Abs(v*unit-float64(n)) > 0.05*unit*(1+1e-9) {
			t.Fatalf("FormatBytes(%d) = %q is not close to the value", n, s)
		}
	})
}

// FuzzQuantizeBytes: below 16 MiB (and for negative counts) the value is
// kept; from 16 MiB on it is rounded down to a multiple of 16 MiB. So it
// never exceeds n, is off by less than 16 MiB, is idempotent and monotonic.
func FuzzQuantizeBytes(f *testing.F) {
	const q = 16 << 20
	for _, n := range []int64{0, 1, q - 1, q, q + 1, 2*q - 1, 2 * q, math.MaxInt64, -1, math.MinInt64} {
		f.Add(n, int64(0))
	}
	f.Fuzz(func(t *testing.T, n, delta int64) {
		got := observation.QuantizeBytes(n)
		if n < q {
			if got != n {
				t.Fatalf("QuantizeBytes(%d) = %d, want it unchanged below 16 MiB", n, got)
			}
		} else {
			if got > n || n-got >= q || got%q != 0 || got < q {
				t.Fatalf("QuantizeBytes(%d) = %d, want the multiple of 16 MiB at or below it", n, got)
			}
		}
		if again := observation.QuantizeBytes(got); again != got {
			t.Fatalf("QuantizeBytes not idempotent: %d -> %d -> %d", n, got, again)
		}
		// Monotonic: m >= n gives a result >= QuantizeBytes(n).
		if delta < 0 {
			delta = -(delta + 1)
		}
		if m := n + delta; m >= n { // no overflow
			if qm := observation.QuantizeBytes(m); qm < got {
				t.Fatalf("QuantizeBytes(%d) = %d < QuantizeBytes(%d) = %d", m, qm, n, got)
			}
		}
	})
}
