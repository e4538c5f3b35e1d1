package controllers_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Two teams declare one slot name on one cluster; team A's object holds
// the slot, team B's is held off. When the slot goes missing (here a drop
// behind the operator's back, as a failover that kept no copy of it would),
// B's object must leave it to A's to create again: had B's made it, both
// objects would claim it, and deleting B's would drop the slot A's
// consumer reads. Team A's role lacks REPLICATION meanwhile, so its object
// cannot win the race by being quick.
var _ = Describe("A slot another namespace holds goes missing", func() {
	It("is left to its holder to create again, and deleting the held-off object drops nothing", func() {
		Expect(primary.CreateRole(bg, "holder_a", "holder-a-pw", true)).To(Succeed())
		nsA := newNamespace()
		createSecret(nsA, "pg", "holder_a", "holder-a-pw")
		psA := createServer(nsA, "db", "pg", primary, standby)
		a := createNamedSlot(nsA, "team-a", psA.Name, "held_gone")
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		nsB, psB := defaultServer()
		b := createNamedSlot(nsB, "team-b", psB.Name, "held_gone")
		waitCondition(b, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)

		By("team-a's role loses REPLICATION and its slot is dropped behind the operator's back")
		Expect(primary.Exec(bg, "ALTER ROLE holder_a NOREPLICATION")).To(Succeed())
		Expect(primary.Exec(bg, "SELECT pg_drop_replication_slot('held_gone')")).To(Succeed())
		nudges := 0
		Consistently(func() bool {
			// Wake team-b's object, so that it is reconciled while the slot
			// is missing, whatever the monitor does.
			nudges++
			patch := fmt.Sprintf(`{"metadata":{"annotations":{"test.slotkeeper.dev/nudge":"%d"}}}`, nudges)
			Expect(k8s.Patch(bg, get(b), client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
			return slotExists(primary, "held_gone")()
		}, "8s", "500ms").Should(BeFalse(), "team-b's object created the slot team-a's holds")
		Expect(get(b).Status.Owned).To(BeFalse())
		Expect(get(b).Status.Origin).To(BeEmpty())
		c := waitCondition(b, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(c.Message).To(ContainSubstring("is given 30s to create it before this one does"))

		By("team-a's role has REPLICATION again: its object makes the slot, and team-b's stays held off")
		Expect(primary.Exec(bg, "ALTER ROLE holder_a REPLICATION")).To(Succeed())
		patch := `{"metadata":{"annotations":{"test.slotkeeper.dev/nudge":"replication"}}}`
		Expect(k8s.Patch(bg, get(a), client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
		Eventually(slotExists(primary, "held_gone")).WithTimeout(time.Minute).Should(BeTrue())
		waitCondition(a, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(a).Status.Owned).To(BeTrue())
		Consistently(func() bool { return get(b).Status.Owned }, "3s").Should(BeFalse())

		deleteAndWait(b)
		Expect(slotExists(primary, "held_gone")()).To(BeTrue(), "deleting team-b's object dropped team-a's slot")
		deleteAndWait(a)
		Expect(slotExists(primary, "held_gone")()).To(BeFalse())
	})
})
