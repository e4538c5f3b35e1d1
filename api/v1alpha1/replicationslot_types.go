package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SlotType is the kind of replication slot.
// +kubebuilder:validation:Enum=Logical;Physical
type SlotType string

const (
	SlotLogical  SlotType = "Logical"
	SlotPhysical SlotType = "Physical"
)

// LocationRole says which member holds the slot.
// +kubebuilder:validation:Enum=Primary;Standby
type LocationRole string

const (
	LocationPrimary LocationRole = "Primary"
	LocationStandby LocationRole = "Standby"
)

// SlotLocation places the slot on the primary or on one standby member.
// +kubebuilder:validation:XValidation:rule="self.role == 'Primary' || has(self.host)",message="location.host is required when role is Standby"
// +kubebuilder:validation:XValidation:rule="self.role == 'Standby' || (!has(self.host) && !has(self.port))",message="location.host and location.port are only for role Standby"
type SlotLocation struct {
	// +kubebuilder:default=Primary
	// +optional
	Role LocationRole `json:"role,omitempty"`
	// Host must be one of the server's members (spec.hosts or spec.hostsFrom).
	// +optional
	Host string `json:"host,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
}

// DeletionPolicy says what happens to the slot when the object is deleted.
// +kubebuilder:validation:Enum=DeleteIfCreated;Delete;Retain
type DeletionPolicy string

const (
	// DeletionDeleteIfCreated drops a slot this object created and leaves
	// one it adopted: what it cannot prove is its own is never dropped.
	DeletionDeleteIfCreated DeletionPolicy = "DeleteIfCreated"
	// DeletionDelete drops the slot, created or adopted.
	DeletionDelete DeletionPolicy = "Delete"
	// DeletionRetain never drops the slot.
	DeletionRetain DeletionPolicy = "Retain"
)

// SlotOrigin says how a slot became an object's.
// +kubebuilder:validation:Enum=Created;Adopted
type SlotOrigin string

const (
	OriginCreated SlotOrigin = "Created"
	OriginAdopted SlotOrigin = "Adopted"
)

// InvalidationPolicy says what to do with a slot PostgreSQL invalidated.
// +kubebuilder:validation:Enum=Recreate;Keep
type InvalidationPolicy string

const (
	InvalidationRecreate InvalidationPolicy = "Recreate"
	InvalidationKeep     InvalidationPolicy = "Keep"
)

// AdoptionPolicy says whether an existing slot of the same name may be taken over.
// +kubebuilder:validation:Enum=IfMatching;IfMatchingWithStandby;Never
type AdoptionPolicy string

const (
	// AdoptIfMatching adopts a slot of the declared kind, unless a standby
	// streams through it (that standby's owner manages it).
	AdoptIfMatching AdoptionPolicy = "IfMatching"
	// AdoptIfMatchingWithStandby adopts a matching slot even when a standby
	// streams through it.
	AdoptIfMatchingWithStandby AdoptionPolicy = "IfMatchingWithStandby"
	AdoptNever                 AdoptionPolicy = "Never"
)

// ReplicationSlotSpec declares one replication slot.
// +kubebuilder:validation:XValidation:rule="self.type != 'Logical' || has(self.database)",message="database is required for Logical slots"
// +kubebuilder:validation:XValidation:rule="self.type == 'Logical' || !has(self.database)",message="database is only for Logical slots"
// +kubebuilder:validation:XValidation:rule="self.type == 'Logical' || !has(self.plugin)",message="plugin is only for Logical slots"
// +kubebuilder:validation:XValidation:rule="self.type == 'Logical' || !has(self.twoPhase) || !self.twoPhase",message="twoPhase is only for Logical slots"
// +kubebuilder:validation:XValidation:rule="has(self.slotName) == has(oldSelf.slotName)",message="slotName is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.database) == has(oldSelf.database)",message="database is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.plugin) == has(oldSelf.plugin)",message="plugin is immutable"
type ReplicationSlotSpec struct {
	// ServerRef names the PostgresServer in the same namespace.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="serverRef is immutable"
	ServerRef LocalObjectReference `json:"serverRef"`
	// SlotName is the slot's name in PostgreSQL; default metadata.name with '-' replaced by '_'.
	// +kubebuilder:validation:Pattern=`^[a-z0-9_]{1,63}$`
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="slotName is immutable"
	// +optional
	SlotName string `json:"slotName,omitempty"`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="type is immutable"
	Type SlotType `json:"type"`
	// Database is the database a Logical slot decodes; required for Logical.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="database is immutable"
	// +optional
	Database string `json:"database,omitempty"`
	// Plugin is the output plugin of a Logical slot (default pgoutput): a
	// library name, never a path.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="plugin is immutable"
	// +optional
	Plugin string `json:"plugin,omitempty"`
	// +kubebuilder:default={role: Primary}
	// +optional
	Location *SlotLocation `json:"location,omitempty"`
	// TwoPhase enables decoding of prepared transactions (Logical, PostgreSQL 14+).
	// +optional
	TwoPhase bool `json:"twoPhase,omitempty"`
	// ReserveWAL makes a Physical slot reserve WAL from its creation.
	// +kubebuilder:default=true
	// +optional
	ReserveWAL *bool `json:"reserveWAL,omitempty"`
	// Failover keeps the slot usable after a primary failover.
	// +optional
	Failover bool `json:"failover,omitempty"`
	// DeletionPolicy: DeleteIfCreated (default) drops the slot on deletion
	// only if this object created it; Delete drops an adopted one too;
	// Retain never drops it.
	// +kubebuilder:default=DeleteIfCreated
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
	// +kubebuilder:default=Recreate
	// +optional
	InvalidationPolicy InvalidationPolicy `json:"invalidationPolicy,omitempty"`
	// +kubebuilder:default=IfMatching
	// +optional
	Adoption AdoptionPolicy `json:"adoption,omitempty"`
	// MaxRetainedWAL is the WAL budget; WALRetentionHealthy turns False past it.
	// +kubebuilder:validation:XValidation:rule="isQuantity(string(self)) && quantity(string(self)).isGreaterThan(quantity('0')) && quantity(string(self)).compareTo(quantity('1Pi')) <= 0",message="maxRetainedWAL must be a positive quantity of at most 1Pi, like 512Mi or 10Gi"
	// +optional
	MaxRetainedWAL *Quantity `json:"maxRetainedWAL,omitempty"`
	// TerminateBlockersAfter, when above zero, terminates transactions that
	// block creation for longer than this. Off by default; "0s" is off too.
	// +kubebuilder:validation:XValidation:rule="self == '0' || self == '0s' || (size(self) <= 20 && self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1s') && duration(self) <= duration('24h'))",message="terminateBlockersAfter must be 0s (off) or a duration between 1s and 24h"
	// +optional
	TerminateBlockersAfter *Duration `json:"terminateBlockersAfter,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rslot;rslots,categories=slotkeeper
// +kubebuilder:validation:XValidation:rule="has(self.spec.slotName) || self.metadata.name.replace('-', '_').matches('^[a-z0-9_]{1,63}$')",message="metadata.name does not make a valid slot name (lowercase letters, digits, '-' or '_', at most 63 characters); set spec.slotName"
// +kubebuilder:printcolumn:name="Slot",type=string,JSONPath=`.status.slotName`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Server",type=string,JSONPath=`.spec.serverRef.name`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.status.active`
// +kubebuilder:printcolumn:name="Retained",type=string,JSONPath=`.status.retainedWAL`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=`.status.host`,priority=1
// +kubebuilder:printcolumn:name="Failover",type=string,JSONPath=`.status.conditions[?(@.type=="FailoverReady")].status`,priority=1
// +kubebuilder:printcolumn:name="Restart LSN",type=string,JSONPath=`.status.restartLSN`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ReplicationSlot is one PostgreSQL replication slot that slotkeeper keeps
// in place.
type ReplicationSlot struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ReplicationSlotSpec `json:"spec"`
	// The defaults give a new object observedGeneration 0 before the first
	// reconcile, so kstatus (Flux, kubectl wait tooling) reports it as in
	// progress instead of current.
	// +kubebuilder:default={observedGeneration: 0}
	Status ReplicationSlotStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ReplicationSlotList is a list of ReplicationSlot.
type ReplicationSlotList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ReplicationSlot `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ReplicationSlot{}, &ReplicationSlotList{})
}
