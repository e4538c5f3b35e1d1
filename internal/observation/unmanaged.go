package observation

// InactiveUnmanagedBytes is the WAL that the member's inactive slots not in
// managed retain together, rounded down by QuantizeBytes: the figure
// spec.maxUnmanagedRetainedWAL is judged on, by the status and by the
// monitor's wake-up alike.
func InactiveUnmanagedBytes(m *Member, managed map[string]bool) int64 {
	var sum int64
	for name, sl := range m.Slots {
		if sl.Active || sl.RetainedBytes == nil || managed[name] {
			continue
		}
		sum += *sl.RetainedBytes
	}
	return QuantizeBytes(sum)
}
