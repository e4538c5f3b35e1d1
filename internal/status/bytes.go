package status

import "fmt"

// FormatBytes renders a byte count in IEC units with one decimal, as a DBA
// would say it ("1.5GiB").
func FormatBytes(n int64) string {
	const unit = 1024
	if n < 0 {
		return "-" + FormatBytes(-n)
	}
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// QuantizeBytes rounds a byte count down to a multiple of 16 MiB (one WAL
// segment by default) once it exceeds that, so a status that shows it does
// not change — and is not rewritten — for every few bytes of WAL.
func QuantizeBytes(n int64) int64 {
	const q = 16 << 20
	if n < q {
		return n
	}
	return n / q * q
}
