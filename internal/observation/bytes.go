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

// FigureStep is the step a byte figure in status has to move by before it
// alone is worth a status write: 1 MiB below 16 MiB, 16 MiB (QuantizeBytes)
// above; -1 for no figure. A checkpoint on an idle server writes a few
// kilobytes of WAL, which moves every retention and lag by as much and must
// not rewrite any status.
func FigureStep(p *int64) int64 {
	switch {
	case p == nil:
		return -1
	case *p < 16<<20:
		return *p >> 20
	}
	return QuantizeBytes(*p)
}
