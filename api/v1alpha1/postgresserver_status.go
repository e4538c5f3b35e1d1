package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MemberRole is what a member currently is.
// +kubebuilder:validation:Enum=Primary;Standby;Unreachable
type MemberRole string

const (
	RolePrimary     MemberRole = "Primary"
	RoleStandby     MemberRole = "Standby"
	RoleUnreachable MemberRole = "Unreachable"
)

// MemberStatus is what the monitor last saw of one member.
type MemberStatus struct {
	Host string     `json:"host"`
	Port int32      `json:"port"`
	Role MemberRole `json:"role"`
	// Pod names the Pod behind the member when spec.hostsFrom found it.
	// +optional
	Pod string `json:"pod,omitempty"`
	// +optional
	Timeline int64 `json:"timeline,omitempty"`
	// +optional
	ReplayLagBytes *int64 `json:"replayLagBytes,omitempty"`
	// +optional
	ServerVersion string `json:"serverVersion,omitempty"`
	// Message explains an Unreachable role.
	// +optional
	Message string `json:"message,omitempty"`
}

// Capabilities are detected on the primary, never assumed from a version.
type Capabilities struct {
	FailoverSlots    bool `json:"failoverSlots"`
	LogicalOnStandby bool `json:"logicalOnStandby"`
	StandbySnapshot  bool `json:"standbySnapshot"`
	// Replication is true when the connecting role has the REPLICATION attribute.
	Replication bool `json:"replication"`
}

// ServerSettings are the primary's settings that matter for slots.
type ServerSettings struct {
	// +optional
	WALLevel string `json:"walLevel,omitempty"`
	// +optional
	MaxReplicationSlots int32 `json:"maxReplicationSlots,omitempty"`
	// +optional
	UsedReplicationSlots int32 `json:"usedReplicationSlots,omitempty"`
	// +optional
	MaxWALSenders int32 `json:"maxWalSenders,omitempty"`
	// MaxSlotWALKeepSize is max_slot_wal_keep_size as PostgreSQL shows it (-1 = unlimited).
	// +optional
	MaxSlotWALKeepSize string `json:"maxSlotWALKeepSize,omitempty"`
	// +optional
	HotStandbyFeedback string `json:"hotStandbyFeedback,omitempty"`
	// +optional
	SyncReplicationSlots string `json:"syncReplicationSlots,omitempty"`
	// +optional
	WALSenderTimeout string `json:"walSenderTimeout,omitempty"`
}

// SlotCounts summarises the slots on the primary.
type SlotCounts struct {
	Managed           int32 `json:"managed"`
	Unmanaged         int32 `json:"unmanaged"`
	InactiveUnmanaged int32 `json:"inactiveUnmanaged"`
	// UnmanagedRetainedWALBytes is the WAL all unmanaged slots retain,
	// InactiveUnmanagedRetainedWALBytes the part held by inactive ones
	// (each rounded down to 16 MiB). A WAL segment pinned by several
	// slots counts once per slot, so the sum can exceed the disk used.
	UnmanagedRetainedWALBytes         int64 `json:"unmanagedRetainedWALBytes,omitempty"`
	InactiveUnmanagedRetainedWALBytes int64 `json:"inactiveUnmanagedRetainedWALBytes,omitempty"`
}

// UnmanagedSlot is a slot on the primary that no ReplicationSlot owns.
type UnmanagedSlot struct {
	Name string   `json:"name"`
	Type SlotType `json:"type"`
	// +optional
	Database string `json:"database,omitempty"`
	// +optional
	Plugin string `json:"plugin,omitempty"`
	Active bool   `json:"active"`
	// +optional
	RetainedWALBytes *int64 `json:"retainedWALBytes,omitempty"`
	// InactiveSince is when the slot lost its consumer (PostgreSQL 17+).
	// +optional
	InactiveSince *metav1.Time `json:"inactiveSince,omitempty"`
	// LikelyOwner is a hint: the consumer's application_name, or the standby
	// whose primary_slot_name matches.
	// +optional
	LikelyOwner string `json:"likelyOwner,omitempty"`
}

// PostgresServerStatus is the operator's view of the cluster.
type PostgresServerStatus struct {
	// +kubebuilder:default=0
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +optional
	Primary string `json:"primary,omitempty"`
	// +optional
	SystemIdentifier string `json:"systemIdentifier,omitempty"`
	// +optional
	Timeline int64 `json:"timeline,omitempty"`
	// +optional
	ServerVersion string `json:"serverVersion,omitempty"`
	// +optional
	// +listType=atomic
	Members []MemberStatus `json:"members,omitempty"`
	// +optional
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	// +optional
	Settings *ServerSettings `json:"settings,omitempty"`
	// +optional
	Slots *SlotCounts `json:"slots,omitempty"`
	// UnmanagedSlots lists at most 20 slots no ReplicationSlot owns, largest retention first.
	// +optional
	// +listType=atomic
	UnmanagedSlots []UnmanagedSlot `json:"unmanagedSlots,omitempty"`
	// +optional
	Failovers int32 `json:"failovers,omitempty"`
	// +optional
	LastFailoverTime *metav1.Time `json:"lastFailoverTime,omitempty"`
	// HAManager is the HA manager found running the cluster, if any.
	// +optional
	HAManager *HAManagerStatus `json:"haManager,omitempty"`
	// Recreation names the slots the operator set out to recreate on a
	// promoted member after a failover, written before any of them is
	// created: a slot found there later with no recreation in its own
	// status (the operator stopped in between) is known as recreated, and
	// its data gap is recorded.
	// +optional
	Recreation *SlotRecreation `json:"recreation,omitempty"`
}

// SlotRecreation is the durable record of one failover's recreations.
type SlotRecreation struct {
	// Member is the promoted member, host:port.
	Member string `json:"member"`
	// Timeline is the promoted member's timeline.
	Timeline int64 `json:"timeline"`
	// Slots are the names of the slots to recreate there.
	// +listType=atomic
	Slots []string `json:"slots"`
	// At is when the record was written.
	At metav1.Time `json:"at"`
}
