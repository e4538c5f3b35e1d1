package v1alpha1

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// The bounds of the duration and quantity fields. The CRDs refuse values
// outside them; Problems finds those stored before the rules existed.
const (
	MinPollInterval            = time.Second
	MaxPollInterval            = time.Hour
	MinConnectTimeout          = time.Second
	MaxConnectTimeout          = 5 * time.Minute
	MinStandbySnapshotInterval = 100 * time.Millisecond
	MaxStandbySnapshotInterval = time.Minute
	MinTerminateBlockersAfter  = time.Second
	MaxTerminateBlockersAfter  = 24 * time.Hour
)

// maxWAL bounds the WAL budgets (1Pi).
var maxWAL = resource.MustParse("1Pi")

// Problems lists what is wrong with the spec's values, each naming its
// field; empty when every value is usable.
func (s *PostgresServerSpec) Problems() []string {
	var out []string
	out = appendNonEmpty(out, durationProblem("spec.pollInterval", s.PollInterval, MinPollInterval, MaxPollInterval, false))
	out = appendNonEmpty(out, durationProblem("spec.connectTimeout", s.ConnectTimeout, MinConnectTimeout, MaxConnectTimeout, false))
	if s.StandbySnapshot != nil {
		out = appendNonEmpty(out, durationProblem("spec.standbySnapshot.interval", s.StandbySnapshot.Interval,
			MinStandbySnapshotInterval, MaxStandbySnapshotInterval, false))
	}
	return appendNonEmpty(out, quantityProblem("spec.maxUnmanagedRetainedWAL", s.MaxUnmanagedRetainedWAL))
}

// Problems lists what is wrong with the spec's values, each naming its
// field; empty when every value is usable.
func (s *ReplicationSlotSpec) Problems() []string {
	var out []string
	out = appendNonEmpty(out, quantityProblem("spec.maxRetainedWAL", s.MaxRetainedWAL))
	return appendNonEmpty(out, durationProblem("spec.terminateBlockersAfter", s.TerminateBlockersAfter,
		MinTerminateBlockersAfter, MaxTerminateBlockersAfter, true))
}

// durationProblem checks an optional duration against its bounds; zeroOK
// lets 0 mean "off".
func durationProblem(field string, d *Duration, lo, hi time.Duration, zeroOK bool) string {
	switch {
	case d == nil:
		return ""
	case d.Err() != nil:
		return fmt.Sprintf("%s: %v", field, d.Err())
	case zeroOK && d.Duration == 0:
		return ""
	case d.Duration < lo || d.Duration > hi:
		return fmt.Sprintf("%s: %s is outside %s to %s", field, d.Duration, lo, hi)
	}
	return ""
}

// quantityProblem checks an optional WAL budget: it parses, is above zero
// and at most 1Pi.
func quantityProblem(field string, q *Quantity) string {
	if q == nil {
		return ""
	}
	v, err := q.Parse()
	switch {
	case err != nil:
		return fmt.Sprintf("%s: %v", field, err)
	case v.Sign() <= 0 || v.Cmp(maxWAL) > 0:
		return fmt.Sprintf("%s: %s is not a positive amount of at most 1Pi", field, q.String())
	}
	return ""
}

func appendNonEmpty(out []string, s string) []string {
	if s == "" {
		return out
	}
	return append(out, s)
}
