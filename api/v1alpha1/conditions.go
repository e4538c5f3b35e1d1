package v1alpha1

// Condition types. Ready is always present; Reconciling, Stalled and
// DataGap are abnormal-true: present only while true.
const (
	ConditionReady               = "Ready"
	ConditionReconciling         = "Reconciling"
	ConditionStalled             = "Stalled"
	ConditionPrerequisitesMet    = "PrerequisitesMet"
	ConditionSplitBrain          = "SplitBrain"
	ConditionCreationBlocked     = "CreationBlocked"
	ConditionFailoverReady       = "FailoverReady"
	ConditionWALRetentionHealthy = "WALRetentionHealthy"
	ConditionDataGap             = "DataGap"
	// ConditionUnmanagedWALRetentionHealthy (PostgresServer) turns False
	// when inactive unmanaged slots retain more WAL than the budget.
	ConditionUnmanagedWALRetentionHealthy = "UnmanagedWALRetentionHealthy"
	// ConditionHAManagerCoversSlots (PostgresServer) is present when an HA
	// manager runs the cluster: False while it would drop a declared slot.
	ConditionHAManagerCoversSlots = "HAManagerCoversSlots"
)

// Condition reasons.
const (
	ReasonAvailable            = "Available"
	ReasonCreating             = "Creating"
	ReasonAdopted              = "Adopted"
	ReasonServerUnavailable    = "ServerUnavailable"
	ReasonServerNotFound       = "ServerNotFound"
	ReasonServerNotReady       = "ServerNotReady"
	ReasonInvalidated          = "Invalidated"
	ReasonInvalidSpec          = "InvalidSpec"
	ReasonConflict             = "Conflict"
	ReasonPluginMissing        = "PluginMissing"
	ReasonPermissionDenied     = "PermissionDenied"
	ReasonWALLevelTooLow       = "WALLevelTooLow"
	ReasonTooManySlots         = "TooManySlots"
	ReasonAuthenticationFailed = "AuthenticationFailed"
	ReasonAuthMethodRefused    = "AuthMethodRefused"
	ReasonHostRefused          = "HostRefused"
	ReasonCredentialsMissing   = "CredentialsMissing"
	ReasonSlotActive           = "SlotActive"
	ReasonDeleting             = "Deleting"
	ReasonUnsupported          = "Unsupported"
	ReasonProgressing          = "Progressing"
	ReasonConnected            = "Connected"
	ReasonNoPrimary            = "NoPrimary"
	ReasonSplitBrain           = "SplitBrain"
	ReasonMissing              = "Missing"
	ReasonFailover             = "Failover"
	// ReasonRelocated: spec.location moved the slot to another member of
	// the same timeline, where it is made anew.
	ReasonRelocated = "Relocated"
	// ReasonConsumerAhead: the DataGap window includes changes the consumer
	// confirmed that the new primary never received; on FailoverReady, the
	// consumer has confirmed changes a standby has not received yet.
	ReasonConsumerAhead             = "ConsumerAhead"
	ReasonPrerequisitesMissing      = "PrerequisitesMissing"
	ReasonAllPrerequisitesMet       = "AllPrerequisitesMet"
	ReasonWithinBudget              = "WithinBudget"
	ReasonOverBudget                = "OverBudget"
	ReasonUnreserved                = "Unreserved"
	ReasonLost                      = "Lost"
	ReasonUnknown                   = "Unknown"
	ReasonWaitingForTransactions    = "WaitingForTransactions"
	ReasonWaitingForStandbySnapshot = "WaitingForStandbySnapshot"
	ReasonNotBlocked                = "NotBlocked"
	ReasonSynced                    = "Synced"
	ReasonNotSynced                 = "NotSynced"
	ReasonNotPersistentYet          = "NotPersistentYet"
	ReasonNoStandbys                = "NoStandbys"
	ReasonFailoverPrerequisites     = "FailoverSlotPrerequisites"
	ReasonError                     = "Error"
	ReasonCovered                   = "Covered"
	ReasonNotCovered                = "NotCovered"
	ReasonHAManagerUnreachable      = "HAManagerUnreachable"
	ReasonHAManagerUnauthorized     = "HAManagerUnauthorized"
	ReasonHAManagerRefused          = "HAManagerRefused"
)

// Annotations.
const (
	// AnnotationAcknowledgeDataGap, set to status.lastDataGap.at (RFC 3339),
	// clears the DataGap condition; set to the at of one entry of
	// status.dataGaps it clears that gap and every older one.
	AnnotationAcknowledgeDataGap = "pg.slotkeeper.dev/acknowledge-data-gap"
)

// ServerFinalizerName keeps a PostgresServer (and so its connections) until
// no ReplicationSlot needs it to drop its slot.
const ServerFinalizerName = "pg.slotkeeper.dev/server"

// FinalizerName guards the slot while the object is deleted.
const FinalizerName = "pg.slotkeeper.dev/slot"
