package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The creation intent lives in the PostgresServer's status, shared by the
// creations that run at once. An operator that stopped after CREATE went
// through and before the object's status said so finds, on its next start,
// the slot in place and the intent naming the object and that slot: the
// slot is the object's own creation, whatever spec.adoption says. An entry
// that names another slot is no such proof.
var _ = Describe("Creation intents in the server's status", func() {
	It("takes over the slot its recorded intent made, and refuses one the intent does not name", func() {
		ns := newNamespace()
		mine, stranger := physicalSlot(ns, "intent-mine", "db"), physicalSlot(ns, "intent-stranger", "db")
		for _, rs := range []*api.ReplicationSlot{mine, stranger} {
			rs.Spec.Adoption = api.AdoptNever
			Expect(k8s.Create(bg, rs)).To(Succeed())
			Expect(primary.Exec(bg, fmt.Sprintf("SELECT pg_create_physical_replication_slot('%s')", rs.SlotName()))).To(Succeed())
		}
		DeferCleanup(func() { _ = primary.Exec(bg, "SELECT pg_drop_replication_slot('intent_stranger')") })

		// The server cannot connect until its Secret exists, so the
		// intents are in place before any slot is judged.
		ps := createServer(ns, "db", "pg", primary, standby)
		patch := fmt.Sprintf(`{"status":{"creationIntents":{%q:"intent_mine",%q:"intent_other"}}}`, mine.UID, stranger.UID)
		Expect(k8s.Status().Patch(bg, ps, client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
		createSecret(ns, "pg", opRole, opPassword)

		waitCondition(mine, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(mine).Status.Owned).To(BeTrue())
		Expect(mine.Status.Origin).To(Equal(api.OriginCreated))
		Eventually(eventNotes(ns, api.ReasonAdopted)).Should(ContainElement(ContainSubstring("made by this object's own creation")))
		waitCondition(stranger, api.ConditionStalled, metav1.ConditionTrue, api.ReasonConflict)
		Expect(get(stranger).Status.Owned).To(BeFalse())

		// Settled: the object's status records the slot, so its entry goes;
		// the other stays until its object does.
		intents := func() map[string]string { return get(ps).Status.CreationIntents }
		Eventually(intents).ShouldNot(HaveKey(string(mine.UID)))
		Expect(intents()).To(HaveKey(string(stranger.UID)))

		deleteAndWait(mine)
		Expect(slotExists(primary, "intent_mine")()).To(BeFalse(), "the slot its own creation made was not dropped")
		deleteAndWait(stranger)
		Expect(slotExists(primary, "intent_stranger")()).To(BeTrue(), "a slot the object never made was dropped")
		Eventually(intents).ShouldNot(HaveKey(string(stranger.UID)))
	})
})
