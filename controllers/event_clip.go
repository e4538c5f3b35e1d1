package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/slotkeeper/slotkeeper/internal/status"
)

// clippedRecorder bounds every Event note: messages quote servers, and the
// API server refuses a note over 1 KiB, which would lose the Event.
type clippedRecorder struct{ events.EventRecorder }

// Eventf formats the note, clips it and records it.
func (c clippedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	c.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s",
		status.Clip(fmt.Sprintf(note, args...), status.MaxEventNote))
}
