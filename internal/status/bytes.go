package status

import "fmt"

// FormatBytes renders a byte count in IEC units with one decimal, as a DBA
// would say it ("1.5GiB").
func FormatBytes(n int64) string {
	if n < 0 {
		// Through uint64: -math.MinInt64 overflows back to itself.
		return "-" + formatUnsigned(uint64(-(n+1))+1)
	}
	return formatUnsigned(uint64(n))
}

func formatUnsigned(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	// Move to the next unit when one decimal would round up to 1024.0.
	for float64(n)/float64(div) >= unit-0.05 && exp < 5 {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
