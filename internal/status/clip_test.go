package status

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A server's error of any length fits in a condition: the status write
// that carries it must never be refused for its size.
func TestConditionMessagesAreBounded(t *testing.T) {
	var conds []metav1.Condition
	huge := strings.Repeat("boom ", 100_000)
	applyOutcome(&conds, 1, Outcome{Phase: Stalled, Reason: "Unknown", Message: huge})
	setOrRemove(&conds, "DataGap", &metav1.Condition{Status: metav1.ConditionTrue, Reason: "Missing", Message: huge})
	for _, c := range conds {
		if len(c.Message) > MaxConditionMessage || !strings.HasSuffix(c.Message, "…") {
			t.Errorf("%s: %d bytes", c.Type, len(c.Message))
		}
	}
}
