package postgres

import (
	"testing"
	"time"
)

func TestParseSettingDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"1min", time.Minute, false},
		{"60s", time.Minute, false},
		{"0", 0, false},
		{"500", 500 * time.Millisecond, false},
		{"250ms", 250 * time.Millisecond, false},
		{" 2 h ", 2 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"-1", -time.Millisecond, false},
		{"", 0, true},
		{"min", 0, true},
		{"5 fortnights", 0, true},
		{"1e400s", 0, true},
	}
	for _, c := range cases {
		got, err := ParseSettingDuration(c.in, time.Millisecond)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("ParseSettingDuration(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}
