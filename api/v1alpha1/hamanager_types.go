package v1alpha1

// IgnoreSlotsMode says what slotkeeper does about Patroni's ignore_slots.
// +kubebuilder:validation:Enum=Manage;Report
type IgnoreSlotsMode string

const (
	// IgnoreSlotsManage keeps an ignore_slots entry for every declared slot.
	IgnoreSlotsManage IgnoreSlotsMode = "Manage"
	// IgnoreSlotsReport only reports declared slots Patroni would drop.
	IgnoreSlotsReport IgnoreSlotsMode = "Report"
)

// PatroniSpec tells slotkeeper how to reach the Patroni that runs the
// cluster, so that Patroni leaves the declared slots alone.
// +kubebuilder:validation:XValidation:rule="!has(self.credentialsSecretRef) || self.urls.all(u, u.startsWith('https://'))",message="credentialsSecretRef is sent only over https: use https URLs"
type PatroniSpec struct {
	// URLs of the members' REST APIs; any reachable one serves. No
	// user:password@ part: credentials come from credentialsSecretRef only.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=2048
	// +kubebuilder:validation:items:Pattern=`^https?://[^\s/?#@]+(/[^\s?#]*)?$`
	// +listType=atomic
	URLs []string `json:"urls"`
	// IgnoreSlots: Report (default) checks that Patroni's slots or
	// ignore_slots cover every declared slot and says what to change;
	// Manage keeps an ignore_slots entry for each declared slot itself.
	// +kubebuilder:default=Report
	// +optional
	IgnoreSlots IgnoreSlotsMode `json:"ignoreSlots,omitempty"`
	// CredentialsSecretRef names a Secret with keys username and password
	// for Patroni's restapi.authentication (HTTP basic). Sent only over
	// https.
	// +optional
	CredentialsSecretRef *LocalObjectReference `json:"credentialsSecretRef,omitempty"`
	// CASecretRef holds the PEM CA bundle that signs the REST API's
	// certificate; without it the system roots verify https.
	// +optional
	CASecretRef *SecretKeyReference `json:"caSecretRef,omitempty"`
}

// HostsFromSpec takes the members from a Service's EndpointSlices.
type HostsFromSpec struct {
	// Service names a Service in the same namespace whose EndpointSlices
	// list the members (a headless Service of a StatefulSet, CloudNativePG's
	// -r Service).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Service string `json:"service"`
	// Port is the PostgreSQL port number, or the name of the
	// EndpointSlice port to use. Default: the slice's only port, else the
	// one named postgresql or postgres, else 5432.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Port string `json:"port,omitempty"`
}

// HAManagerStatus is the HA manager slotkeeper found running the cluster.
type HAManagerStatus struct {
	// Name is Patroni or CloudNativePG.
	Name string `json:"name"`
	// +optional
	Version string `json:"version,omitempty"`
	// Scope is Patroni's cluster name (its scope) where known.
	// +optional
	Scope string `json:"scope,omitempty"`
	// DetectedBy says how: pg_stat_activity, restapi.
	// +optional
	DetectedBy string `json:"detectedBy,omitempty"`
	// Uncovered lists the declared slots the HA manager would drop (at most
	// 50 names).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	Uncovered []string `json:"uncovered,omitempty"`
	// IgnoreSlotsEntries counts the ignore_slots entries slotkeeper keeps.
	// +optional
	IgnoreSlotsEntries int32 `json:"ignoreSlotsEntries,omitempty"`
}
