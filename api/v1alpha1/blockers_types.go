package v1alpha1

// BlockerTermination says whether ReplicationSlots of a server may end the
// sessions that block their creation.
// +kubebuilder:validation:Enum=Never;Allowed
type BlockerTermination string

const (
	// TerminateNever ignores every slot's terminateBlockersAfter.
	TerminateNever BlockerTermination = "Never"
	// TerminateAllowed lets a slot's terminateBlockersAfter end sessions.
	TerminateAllowed BlockerTermination = "Allowed"
)

// BlockerQueryText says whether status.blockers shows query text.
// +kubebuilder:validation:Enum=Hidden;Shown
type BlockerQueryText string

const (
	QueryTextHidden BlockerQueryText = "Hidden"
	QueryTextShown  BlockerQueryText = "Shown"
)

// BlockersSpec is what the server's owner lets ReplicationSlots do to, and
// show of, the sessions that block their creation. A slot's readers are not
// necessarily allowed to see or end other users' sessions: both are off
// unless the server says otherwise.
type BlockersSpec struct {
	// Terminate Allowed lets a ReplicationSlot's terminateBlockersAfter end
	// sessions that block its creation; Never ignores it.
	// +kubebuilder:default=Never
	// +optional
	Terminate BlockerTermination `json:"terminate,omitempty"`
	// QueryText Shown copies the first 200 characters of each blocker's
	// query into status.blockers. Only sessions in the slot's own database
	// are ever listed; others are counted in status.otherBlockers.
	// +kubebuilder:default=Hidden
	// +optional
	QueryText BlockerQueryText `json:"queryText,omitempty"`
}
