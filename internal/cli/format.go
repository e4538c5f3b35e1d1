package cli

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/slotkeeper/slotkeeper/internal/status"
)

// none fills an empty cell: kubectl shows <none>, but a dash reads better
// in a table that is mostly about figures and keeps columns narrow.
const none = "-"

// formatBytes renders a byte count the way the operator writes
// status.retainedWAL ("1.5GiB").
func formatBytes(n int64) string { return status.FormatBytes(n) }

// bytesOr formats an optional byte count.
func bytesOr(n *int64, fallback string) string {
	if n == nil {
		return fallback
	}
	return formatBytes(*n)
}

// age renders the time since t like kubectl's AGE column ("5m", "3d").
func age(now time.Time, t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return none
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// ackValue is the annotation value that acknowledges a gap recorded at t:
// the operator compares strings, so this must match status.AckValue byte
// for byte (a test checks it).
func ackValue(t metav1.Time) string { return t.UTC().Format(time.RFC3339) }

// orNone returns s, or a dash when s is empty.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// times says how often: "once", "2 times".
func times(n int32) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
