package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// settingUnits are the time units PostgreSQL accepts in settings.
var settingUnits = map[string]time.Duration{
	"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
	"min": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
}

// ParseSettingDuration reads a time setting as current_setting() shows it
// ("1min", "60s", "0"); a bare number is in base, the setting's own unit
// (milliseconds for wal_sender_timeout).
func ParseSettingDuration(v string, base time.Duration) (time.Duration, error) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '-' && r != '.' })
	num, unit := v, ""
	if i >= 0 {
		num, unit = v[:i], strings.TrimSpace(v[i:])
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("not a duration: %q", v)
	}
	mult := base
	if unit != "" {
		var ok bool
		if mult, ok = settingUnits[unit]; !ok {
			return 0, fmt.Errorf("unknown unit %q in %q", unit, v)
		}
	}
	d := n * float64(mult)
	if d > float64(1<<62) || d < -float64(1<<62) {
		return 0, fmt.Errorf("duration out of range: %q", v)
	}
	return time.Duration(d), nil
}
