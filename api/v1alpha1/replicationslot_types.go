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

// Consumer describes the backend that holds the slot.
type Consumer struct {
	// +optional
	PID int32 `json:"pid,omitempty"`
	// +optional
	ApplicationName string `json:"applicationName,omitempty"`
	// +optional
	ClientAddr string `json:"clientAddr,omitempty"`
	// +optional
	BackendStart *metav1.Time `json:"backendStart,omitempty"`
	// +optional
	State string `json:"state,omitempty"`
	// Stale is true when the holder looks gone: no reply from its client,
	// or no progress while behind, for longer than wal_sender_timeout. The
	// Ready or SlotActive message says what to do; slotkeeper never
	// terminates a consumer on its own.
	// +optional
	Stale bool `json:"stale,omitempty"`
}

// DataGap is a window of changes that no consumer of the slot will ever see.
// In status.lastDataGap it is the merged window of every recreation not yet
// acknowledged: from the earliest fromLSN to the latest toLSN.
type DataGap struct {
	// Reason is the cause of the latest recreation inside the window.
	// +kubebuilder:validation:Enum=Failover;Invalidated;Missing
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
}

// StandbySlot is one standby's view of the slot.
type StandbySlot struct {
	Host       string `json:"host"`
	Port       int32  `json:"port,omitempty"`
	Present    bool   `json:"present"`
	Synced     bool   `json:"synced"`
	Persistent bool   `json:"persistent"`
	Ready      bool   `json:"ready"`
	// +optional
	LagBytes *int64 `json:"lagBytes,omitempty"`
	// Message says what keeps this copy from being ready.
	// +optional
	Message string `json:"message,omitempty"`
}

// SlotCopy is a slot slotkeeper made, or left behind, on another member:
// only slots recorded here are ever changed or dropped on a standby.
type SlotCopy struct {
	Host string `json:"host"`
	Port int32  `json:"port,omitempty"`
	// StartLSN is where a logical copy began decoding: before the
	// consumer confirms past it, changes in between would be lost.
	// +optional
	StartLSN string `json:"startLSN,omitempty"`
	// Consistent is set once the consumer has confirmed past StartLSN: from
	// then on a failover to this standby loses nothing.
	// +optional
	Consistent bool `json:"consistent,omitempty"`
	// Former marks the slot a former primary still holds after a failover:
	// stale, and dropped once that member runs as a standby.
	// +optional
	Former bool `json:"former,omitempty"`
	// Pending is recorded before slotkeeper creates the copy: a copy made
	// just before the operator stopped, with no time to record it, is then
	// recognised as its own (and dropped with the slot) instead of being
	// left on the standby, retaining WAL, as a slot somebody else made.
	// +optional
	Pending bool `json:"pending,omitempty"`
}

// Blocker is a transaction in the slot's database that its creation waits
// for. Query is empty unless the server's spec.blockers.queryText is Shown.
type Blocker struct {
	PID int32 `json:"pid"`
	// +optional
	XID string `json:"xid,omitempty"`
	// +optional
	XactStart *metav1.Time `json:"xactStart,omitempty"`
	// +optional
	ApplicationName string `json:"applicationName,omitempty"`
	// +optional
	State string `json:"state,omitempty"`
	// +optional
	Database string `json:"database,omitempty"`
	// +optional
	Query string `json:"query,omitempty"`
}

// ReplicationSlotStatus is the truth about the slot as last observed.
type ReplicationSlotStatus struct {
	// +kubebuilder:default=0
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// SlotName is the effective slot name in PostgreSQL.
	// +optional
	SlotName string `json:"slotName,omitempty"`
	// Host is the member that holds the slot ("host:port").
	// +optional
	Host string `json:"host,omitempty"`
	// Owned is true once this object created or adopted the slot; only an
	// owned slot is ever dropped.
	// +optional
	Owned bool `json:"owned,omitempty"`
	// Origin says whether this object created the slot or adopted it; with
	// deletionPolicy DeleteIfCreated only a created one is dropped.
	// +optional
	Origin SlotOrigin `json:"origin,omitempty"`
	// Active is a pointer so that false is written, and shown by kubectl.
	// +optional
	Active *bool `json:"active,omitempty"`
	// +optional
	ActivePID int32 `json:"activePID,omitempty"`
	// +optional
	Consumer *Consumer `json:"consumer,omitempty"`
	// +optional
	RestartLSN string `json:"restartLSN,omitempty"`
	// +optional
	ConfirmedFlushLSN string `json:"confirmedFlushLSN,omitempty"`
	// +optional
	WALStatus string `json:"walStatus,omitempty"`
	// +optional
	SafeWALSizeBytes *int64 `json:"safeWALSizeBytes,omitempty"`
	// +optional
	RetainedWALBytes *int64 `json:"retainedWALBytes,omitempty"`
	// RetainedWAL is RetainedWALBytes in human units, for kubectl get.
	// +optional
	RetainedWAL string `json:"retainedWAL,omitempty"`
	// +optional
	InvalidationReason string `json:"invalidationReason,omitempty"`
	// +optional
	InactiveSince *metav1.Time `json:"inactiveSince,omitempty"`
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// +optional
	CreatedOnTimeline int64 `json:"createdOnTimeline,omitempty"`
	// ObservedTimeline is the holding member's timeline when the slot was
	// last seen; a slot gone on a newer timeline was lost to a failover.
	// +optional
	ObservedTimeline int64 `json:"observedTimeline,omitempty"`
	// +optional
	Recreations int32 `json:"recreations,omitempty"`
	// +optional
	LastDataGap *DataGap `json:"lastDataGap,omitempty"`
	// DataGaps lists the unacknowledged gaps one by one, oldest first, at
	// most the last 10; status.lastDataGap always covers all of them, and
	// older ones too.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	DataGaps []DataGap `json:"dataGaps,omitempty"`
	// Vanished counts the times the slot disappeared from its member with
	// no failover and not by slotkeeper's hand (most often an HA manager
	// that drops slots it does not know).
	// +optional
	Vanished int32 `json:"vanished,omitempty"`
	// IgnoreSlotsEntry says whether Patroni's ignore_slots holds an entry
	// for this slot that slotkeeper added (Added: removed after the slot is
	// dropped) or one that was there before (Present: never touched).
	// +optional
	// +kubebuilder:validation:Enum=Added;Present
	IgnoreSlotsEntry string `json:"ignoreSlotsEntry,omitempty"`
	// DataGapBytesTotal adds up the bytes of every data gap recorded for
	// this object (gaps of unknown size count 0).
	// +optional
	DataGapBytesTotal int64 `json:"dataGapBytesTotal,omitempty"`
	// +optional
	// +listType=atomic
	Standbys []StandbySlot `json:"standbys,omitempty"`
	// Copies lists the copies slotkeeper keeps on standbys (physical slots,
	// and logical slots before PostgreSQL 17) and stale slots it will drop.
	// +optional
	// +listType=atomic
	Copies []SlotCopy `json:"copies,omitempty"`
	// FailoverEnabled is true when slotkeeper created the slot with
	// failover or switched it on; only then does it switch failover off
	// again when spec.failover is turned off.
	// +optional
	FailoverEnabled bool `json:"failoverEnabled,omitempty"`
	// Blockers lists up to 10 transactions in the slot's database that its
	// creation waits for, oldest first.
	// +optional
	// +listType=atomic
	Blockers []Blocker `json:"blockers,omitempty"`
	// OtherBlockers counts the transactions in other databases that the
	// creation waits for; who runs them, and what, is not shown.
	// +optional
	OtherBlockers int32 `json:"otherBlockers,omitempty"`
	// LastObservedAt is when the figures above were last refreshed.
	// +optional
	LastObservedAt *metav1.Time `json:"lastObservedAt,omitempty"`
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
