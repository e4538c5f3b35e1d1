package record

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/slotkeeper/slotkeeper/internal/status"
)

type noteRecorder struct{ notes []string }

func (n *noteRecorder) Eventf(_, _ runtime.Object, _, _, _, note string, args ...any) {
	n.notes = append(n.notes, fmt.Sprintf(note, args...))
}

func TestEventNotesAreClipped(t *testing.T) {
	inner := &noteRecorder{}
	Clipped{EventRecorder: inner}.Eventf(nil, nil, "Warning", "Error", "Reconcile", "server said: %s", strings.Repeat("x", 1<<20))
	if len(inner.notes) != 1 || len(inner.notes[0]) > status.MaxEventNote {
		t.Fatalf("notes %d, first %d bytes", len(inner.notes), len(inner.notes[0]))
	}
}
