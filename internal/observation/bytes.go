package observation

// QuantizeBytes rounds a byte count down to a multiple of 16 MiB (one WAL
// segment by default) once it exceeds that, so a status that shows it does
// not change — and is not rewritten — for every few bytes of WAL. The
// monitor judges the unmanaged budget on the same rounded figure as the
// status does, so the two never disagree about which side of it a server is.
func QuantizeBytes(n int64) int64 {
	const q = 16 << 20
	if n < q {
		return n
	}
	return n / q * q
}
