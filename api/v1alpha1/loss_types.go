package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SlotLoss is an owned slot that the operator found gone from its member,
// kept until the status that tells the loss (the recreation, the data gap)
// is written. It is in status, where only the operator writes, so that an
// operator restart in between neither forgets the gap nor takes a slot that
// somebody else made under the name meanwhile for the one that was lost.
type SlotLoss struct {
	// Member is the "host:port" the slot was found gone on.
	Member string `json:"member"`
	// Timeline is that member's timeline when the slot was found gone.
	Timeline int64 `json:"timeline"`
	// Since is when the slot was first found gone.
	Since metav1.Time `json:"since"`
	// Reason is why the slot is gone: Failover, Invalidated, Missing or
	// Relocated.
	Reason string `json:"reason"`
	// FromLSN is the last position the slot's consumer had confirmed
	// before the loss: where the data gap begins.
	// +optional
	FromLSN string `json:"fromLSN,omitempty"`
	// FromTimeline is the timeline FromLSN was confirmed on.
	// +optional
	FromTimeline int64 `json:"fromTimeline,omitempty"`
	// Attempted is written before slotkeeper sends a CREATE to put the slot
	// back, and cleared when that CREATE certainly made nothing: a slot
	// found in place while it is set may be the recreation's own.
	// +optional
	Attempted bool `json:"attempted,omitempty"`
}
