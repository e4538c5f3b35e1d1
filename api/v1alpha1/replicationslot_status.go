package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
	// Pod names the Pod behind the member when spec.hostsFrom found it.
	// The record belongs to that Pod: recreated under a new IP (with its
	// volume, so with the slot), the record follows it to the new
	// address; another Pod given the old IP is not this member.
	// +optional
	Pod string `json:"pod,omitempty"`
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
	// UnlistedSince is when the PostgresServer stopped listing the member
	// (its Pod terminating or rescheduled behind spec.hostsFrom, its host
	// taken out of spec.hosts). The record is kept, so that the slot there
	// is known as this object's when the member is back, and forgotten an
	// hour later.
	// +optional
	UnlistedSince *metav1.Time `json:"unlistedSince,omitempty"`
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
	// Location is the spec.location the slot was last seen for: Primary,
	// or the standby's host:port. A spec.location that differs moves the
	// slot; a host that changes while it stays the same does not.
	// +optional
	Location string `json:"location,omitempty"`
	// +optional
	Recreations int32 `json:"recreations,omitempty"`
	// Loss is the slot's loss while it is not yet told: found gone, and
	// not yet recreated or found made again by somebody else.
	// +optional
	Loss *SlotLoss `json:"loss,omitempty"`
	// DropSentAt is written by the object's deletion just before it sends
	// the DROP of its slot (or when it finds the slot gone), and cleared
	// when PostgreSQL refuses the DROP before dropping anything. A deletion
	// that finds it set without a certain answer (the operator restarted,
	// or the session ended after the DROP was sent) leaves any slot of that
	// name in place: by then it may be another object's.
	// +optional
	DropSentAt *metav1.Time `json:"dropSentAt,omitempty"`
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
