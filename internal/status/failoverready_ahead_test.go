package status

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// at puts a standby's received and replayed positions.
func at(m observation.Member, received, replayed string) observation.Member {
	m.Identity.ReceivedPosition, m.Identity.WALPosition = *lsn(received), *lsn(replayed)
	return m
}

func TestFailoverReadyConsumerAhead(t *testing.T) {
	withSSS := func(in FailoverInputs, setting string) FailoverInputs {
		in.Snapshot.PrimaryMember().Identity.Settings.SynchronizedStandbySlots = setting
		return in
	}
	cases := []struct {
		name   string
		in     FailoverInputs
		status metav1.ConditionStatus
		reason string
		msg    []string
		absent []string
	}{
		{name: "17: the standby received what the consumer confirmed, synchronized_standby_slots names it",
			in: withSSS(foInputs(api.SlotLogical, pg17, logicalRow("0/5000000", true),
				at(standby("pg-1", pg17, syncSettings("s1"), syncedAt("0/4000000")), "0/5000100", "0/5000000")), "s1"),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, absent: []string{"ConsumerAhead"}},
		{name: "17: without synchronized_standby_slots the verdict says a window can open",
			in: foInputs(api.SlotLogical, pg17, logicalRow("0/5000000", true),
				at(standby("pg-1", pg17, syncSettings("s1"), syncedAt("0/4000000")), "0/5000100", "0/5000000")),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, msg: []string{"synchronized_standby_slots does not name", "ConsumerAhead"}},
		{name: "17: a standby that received nothing lately (black-holed) while the consumer confirmed more",
			in: foInputs(api.SlotLogical, pg17, logicalRow("0/5000000", true),
				at(standby("pg-1", pg17, syncSettings("s1"), syncedAt("0/4000000")), "0/4800000", "0/4800000")),
			status: metav1.ConditionFalse, reason: api.ReasonConsumerAhead,
			msg: []string{"pg-1:5432: the consumer has confirmed up to 0/5000000, past the 0/4800000", "8.0MiB", "synchronized_standby_slots"}},
		{name: "16: received counts, not only replayed",
			in: with(foInputs(api.SlotLogical, pg16, logicalRow("0/5000000", false),
				at(standby("pg-1", pg16, keptSettings("s1"), copyAt("0/4000000")), "0/5000000", "0/4F00000")),
				func(in *FailoverInputs) { in.Copies = []api.SlotCopy{rec("pg-1", "0/3000000", true)} }),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, msg: []string{"PostgreSQL 16 does not hold the consumer back"}},
		{name: "16: consumer ahead of the standby",
			in: with(foInputs(api.SlotLogical, pg16, logicalRow("0/5000000", false),
				at(standby("pg-1", pg16, keptSettings("s1"), copyAt("0/4000000")), "0/4000000", "0/4000000")),
				func(in *FailoverInputs) { in.Copies = []api.SlotCopy{rec("pg-1", "0/3000000", true)} }),
			status: metav1.ConditionFalse, reason: api.ReasonConsumerAhead, msg: []string{"PostgreSQL 16 cannot hold the consumer back"}},
		{name: "physical slots have no consumer to get ahead",
			in: with(foInputs(api.SlotPhysical, pg17, &postgres.Slot{Name: foSlot, Type: "physical", RestartLSN: lsn("0/5000000")},
				at(standby("pg-1", pg17, syncSettings("s1"), physicalAt("0/5000000")), "0/1000000", "0/1000000")),
				func(in *FailoverInputs) { in.Copies = []api.SlotCopy{rec("pg-1", "", false)} }),
			status: metav1.ConditionTrue, reason: api.ReasonSynced, absent: []string{"ConsumerAhead"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := FailoverReady(c.in)
			if got.Status != c.status || got.Reason != c.reason {
				t.Fatalf("got %s/%s (%q), want %s/%s", got.Status, got.Reason, got.Message, c.status, c.reason)
			}
			for _, m := range c.msg {
				if !strings.Contains(got.Message, m) {
					t.Errorf("message %q lacks %q", got.Message, m)
				}
			}
			for _, m := range c.absent {
				if strings.Contains(got.Message, m) {
					t.Errorf("message %q has %q", got.Message, m)
				}
			}
		})
	}
}
