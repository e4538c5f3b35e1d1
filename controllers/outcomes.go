package controllers

// The outcomes a reconcile phase stops at: still progressing, retrying
// after a transient failure, or stalled until something outside changes.

import "github.com/slotkeeper/slotkeeper/internal/status"

func progressing(reason, msg string) *status.Outcome {
	return &status.Outcome{Phase: status.Progressing, Reason: reason, Message: msg}
}

func retrying(reason, msg string) *status.Outcome {
	return &status.Outcome{Phase: status.Retrying, Reason: reason, Message: msg}
}

func stalled(reason, msg string) *status.Outcome {
	return &status.Outcome{Phase: status.Stalled, Reason: reason, Message: msg}
}
