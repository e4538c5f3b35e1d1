package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HostPort is one member of a PostgreSQL cluster.
type HostPort struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`
	// +kubebuilder:default=5432
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// SecretKeyReference names one key of a Secret in the same namespace.
type SecretKeyReference struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +kubebuilder:default="ca.crt"
	// +optional
	Key string `json:"key,omitempty"`
}

// TLSMode follows libpq's sslmode values that make sense for an operator.
// +kubebuilder:validation:Enum=disable;require;verify-ca;verify-full
type TLSMode string

const (
	TLSDisable    TLSMode = "disable"
	TLSRequire    TLSMode = "require"
	TLSVerifyCA   TLSMode = "verify-ca"
	TLSVerifyFull TLSMode = "verify-full"
)

// TLSSpec says how to protect connections to the servers.
// +kubebuilder:validation:XValidation:rule="!(self.mode in ['verify-ca','verify-full']) || has(self.caSecretRef)",message="caSecretRef is required for verify-ca and verify-full"
type TLSSpec struct {
	// +kubebuilder:default=require
	// +optional
	Mode TLSMode `json:"mode,omitempty"`
	// CASecretRef holds the PEM CA bundle used to verify the server.
	// +optional
	CASecretRef *SecretKeyReference `json:"caSecretRef,omitempty"`
}

// AuthMethod is a way PostgreSQL may ask the operator for its password, named
// as libpq's require_auth names them.
// +kubebuilder:validation:Enum=scram-sha-256;md5;password;none
type AuthMethod string

const (
	// AuthSCRAM never shows the password to the server, and proves that the
	// server knows the role's verifier: an impostor learns nothing.
	AuthSCRAM AuthMethod = "scram-sha-256"
	// AuthMD5 sends a hash that lets whoever receives it log in as the role
	// wherever md5 is accepted.
	AuthMD5 AuthMethod = "md5"
	// AuthPassword sends the password itself (cleartext).
	AuthPassword AuthMethod = "password"
	// AuthNone lets the server accept the role without asking (trust).
	AuthNone AuthMethod = "none"
)

// StandbySnapshotMode turns forcing running-xacts records on or off.
// +kubebuilder:validation:Enum=Auto;Disabled
type StandbySnapshotMode string

const (
	StandbySnapshotAuto     StandbySnapshotMode = "Auto"
	StandbySnapshotDisabled StandbySnapshotMode = "Disabled"
)

// StandbySnapshotSpec controls calls of pg_log_standby_snapshot() on the
// primary while a slot creation waits.
type StandbySnapshotSpec struct {
	// +kubebuilder:default=Auto
	// +optional
	Mode StandbySnapshotMode `json:"mode,omitempty"`
	// Interval is the pause between two calls while a creation waits.
	// +kubebuilder:default="1s"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 20 && self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('100ms') && duration(self) <= duration('1m')",message="standbySnapshot.interval must be a duration between 100ms and 1m, like 5s or 1m"
	// +optional
	Interval *Duration `json:"interval,omitempty"`
}

// PostgresServerSpec says where slots live and how to reach the servers.
// +kubebuilder:validation:XValidation:rule="(has(self.hosts) && size(self.hosts) > 0) || has(self.hostsFrom)",message="set hosts, hostsFrom or both"
type PostgresServerSpec struct {
	// Hosts lists every member of the cluster; the operator finds the primary.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Hosts []HostPort `json:"hosts,omitempty"`
	// HostsFrom adds the members a Service's EndpointSlices list, so members
	// added, removed or rescheduled are followed without editing this object.
	// +optional
	HostsFrom *HostsFromSpec `json:"hostsFrom,omitempty"`
	// Patroni, when Patroni runs the cluster, lets slotkeeper check or keep
	// its ignore_slots so Patroni never drops a declared slot.
	// +optional
	Patroni *PatroniSpec `json:"patroni,omitempty"`
	// Database is the maintenance database the operator connects to.
	// +kubebuilder:default=postgres
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Database string `json:"database,omitempty"`
	// CredentialsSecretRef names a Secret with keys username and password.
	CredentialsSecretRef LocalObjectReference `json:"credentialsSecretRef"`
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`
	// AuthMethods lists how a member may ask for the password; any other
	// request ends the connection before the password leaves the operator.
	// Empty means scram-sha-256 alone, which never reveals the password and
	// makes the server prove it knows the role. md5 and password hand
	// whoever answers what it needs to log in as the role: allow them only
	// for servers that cannot do SCRAM, and with TLS mode verify-full, which
	// proves the server is yours. With TLS on and scram-sha-256 alone, the
	// authentication is also bound to the TLS channel (SCRAM-SHA-256-PLUS).
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	// +optional
	AuthMethods []AuthMethod `json:"authMethods,omitempty"`
	// PollInterval is the monitor period.
	// +kubebuilder:default="5s"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 20 && self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1s') && duration(self) <= duration('1h')",message="pollInterval must be a duration between 1s and 1h, like 5s or 1m"
	// +optional
	PollInterval *Duration `json:"pollInterval,omitempty"`
	// ConnectTimeout is how long the operator waits for a member: to
	// connect (TCP, TLS, authentication), and for each probe or read, which
	// may include connecting. A member that does not answer in time counts as
	// unreachable; a black-holed one holds a worker this long. Raise it for
	// links with high latency. Creations and drops are bounded by the
	// operator's --action-timeout instead.
	// +kubebuilder:default="5s"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 20 && self.matches('^([0-9]{1,6}([.][0-9]{1,9})?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1s') && duration(self) <= duration('5m')",message="connectTimeout must be a duration between 1s and 5m, like 5s or 1m"
	// +optional
	ConnectTimeout *Duration `json:"connectTimeout,omitempty"`
	// +kubebuilder:default={mode: Auto, interval: "1s"}
	// +optional
	StandbySnapshot *StandbySnapshotSpec `json:"standbySnapshot,omitempty"`
	// Blockers says whether ReplicationSlots on this server may terminate
	// the sessions that block their creation, and whether their status
	// shows those sessions' query text. Both off by default.
	// +kubebuilder:default={terminate: Never, queryText: Hidden}
	// +optional
	Blockers *BlockersSpec `json:"blockers,omitempty"`
	// MaxUnmanagedRetainedWAL is how much WAL the inactive slots that no
	// ReplicationSlot manages may retain together before the condition
	// UnmanagedWALRetentionHealthy turns False. Default 10Gi.
	// +kubebuilder:validation:XValidation:rule="isQuantity(string(self)) && quantity(string(self)).isGreaterThan(quantity('0')) && quantity(string(self)).compareTo(quantity('1Pi')) <= 0",message="maxUnmanagedRetainedWAL must be a positive quantity of at most 1Pi, like 512Mi or 10Gi"
	// +optional
	MaxUnmanagedRetainedWAL *Quantity `json:"maxUnmanagedRetainedWAL,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pgserver;pgservers,categories=slotkeeper
// +kubebuilder:printcolumn:name="Primary",type=string,JSONPath=`.status.primary`
// +kubebuilder:printcolumn:name="Timeline",type=integer,JSONPath=`.status.timeline`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.serverVersion`
// +kubebuilder:printcolumn:name="Slots",type=integer,JSONPath=`.status.slots.managed`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// PostgresServer is a PostgreSQL cluster (a primary and its standbys) whose
// replication slots slotkeeper manages.
type PostgresServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PostgresServerSpec `json:"spec"`
	// The defaults give a new object observedGeneration 0 before the first
	// reconcile, so kstatus (Flux, kubectl wait tooling) reports it as in
	// progress instead of current.
	// +kubebuilder:default={observedGeneration: 0}
	Status PostgresServerStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PostgresServerList is a list of PostgresServer.
type PostgresServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PostgresServer `json:"items"`
}

func init() {
	SchemeBuilder.Register(&PostgresServer{}, &PostgresServerList{})
}
