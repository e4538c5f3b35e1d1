package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DataGap is a window of changes that no consumer of the slot will ever see.
// In status.lastDataGap it is the merged window of every recreation not yet
// acknowledged: from the earliest fromLSN to the latest toLSN.
type DataGap struct {
	// Reason is the cause of the latest recreation inside the window, or
	// ConsumerAhead for a slot that survived a failover to a standby its
	// consumer had got ahead of.
	// +kubebuilder:validation:Enum=Failover;Invalidated;Missing;ConsumerAhead;Relocated
	Reason string `json:"reason"`
	// FromLSN is the earliest position the consumer had confirmed; empty
	// when one of the merged gaps started at an unknown position.
	// +optional
	FromLSN string `json:"fromLSN,omitempty"`
	// +optional
	ToLSN string `json:"toLSN,omitempty"`
	// +optional
	Bytes *int64 `json:"bytes,omitempty"`
	// At is when the latest recreation inside the window happened; the
	// acknowledge annotation takes this value.
	At metav1.Time `json:"at"`
	// Recreations counts the recreations merged into this window (1 for a
	// single gap).
	// +optional
	Recreations int32 `json:"recreations,omitempty"`
	// Since is when the earliest recreation inside the window happened.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// ConsumerAhead, after a failover, is the window of changes the
	// consumer had confirmed that the new primary never received.
	// +optional
	ConsumerAhead *ConsumerAhead `json:"consumerAhead,omitempty"`
}

// ConsumerAhead is a window of changes a consumer confirmed on the old
// primary's timeline past the point where the new primary's timeline
// forked off it: the consumer (and whatever it feeds) has them, the new
// primary never had them.
type ConsumerAhead struct {
	// Timeline is the old timeline, on which the consumer confirmed them.
	// +optional
	Timeline int64 `json:"timeline,omitempty"`
	// FromLSN is where the new timeline forked off (its switch point);
	// empty when it could not be read.
	// +optional
	FromLSN string `json:"fromLSN,omitempty"`
	// ToLSN is the last position the consumer confirmed on the old primary.
	ToLSN string `json:"toLSN"`
	// +optional
	Bytes *int64 `json:"bytes,omitempty"`
}
