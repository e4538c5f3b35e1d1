package record

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Clipped bounds every Event note: messages quote servers, and the
// API server refuses a note over 1 KiB, which would lose the Event.
type Clipped struct{ events.EventRecorder }

// Eventf formats the note, clips it and records it.
func (c Clipped) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	c.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s",
		status.Clip(fmt.Sprintf(note, args...), status.MaxEventNote))
}
