package chaos

import (
	"fmt"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// A deletion drops its slot and then removes its finalizer. Here the
// removal is refused (an admission policy, as a stale cache's conflict or
// an API outage would fail it) while another team's object creates a slot
// under the freed name. The deletion retries, the operator is killed and
// started again, and the other team's slot must never be dropped.
var _ = Describe("a deletion whose finalizer removal fails after its drop", Label("conflict"), func() {
	It("never drops the slot another namespace then creates under the name, across an operator restart", func() {
		start := time.Now()
		s, t := newScenario("dro"), newScenario("drob")
		slot := s.prefix() + "shared"
		mine := s.slotObject("shared", api.SlotPhysical)
		mine.Spec.SlotName = slot
		create(mine)
		Eventually(func() (bool, error) { return ownsCreated(s.ns, "shared") }).Should(BeTrue())

		By("refusing the removal of the finalizer in the first team's namespace")
		holdFinalizers(s.ns)
		deleteNow(mine)
		Eventually(func() (bool, error) { return slotExists(s, slot) }).Should(BeFalse(), "the deletion dropped its slot")
		Expect(exists(mine)).To(BeTrue(), "the finalizer was removed despite the policy")

		By("creating the other team's object under the freed name")
		theirs := t.slotObject("shared", api.SlotPhysical)
		theirs.Spec.SlotName = slot
		create(theirs)
		Eventually(func() (bool, error) { return ownsCreated(t.ns, "shared") }).Should(BeTrue())
		kept := func() error { return keptUntouched(t, slot) }
		Expect(kept()).To(Succeed())

		By("waking the deletion while it still cannot finish, then restarting the operator")
		wakeRepeatedly(mine, kept)
		killAndRestart()
		wakeRepeatedly(mine, kept)
		Expect(eventsPerObject(s.ns, "Dropped")).To(HaveKeyWithValue("shared", 1), "the deletion dropped more than once")
		Eventually(func() map[string]int { return eventsPerObject(s.ns, "Released") }).
			Should(HaveKeyWithValue("shared", BeNumerically(">=", 1)), "no Warning that a slot of the name was left in place")

		By("letting the finalizer go")
		letFinalizersGo(s.ns)
		wake(mine, "last")
		Eventually(func() bool { return exists(mine) }).WithTimeout(time.Minute).Should(BeFalse())
		Consistently(kept).WithTimeout(2 * pollInterval).Should(Succeed())
		report("drop once across a restart took", time.Since(start).Round(time.Second))
	})
})

// ownsCreated: the object is Ready and owns a slot it created.
func ownsCreated(ns, name string) (bool, error) {
	var rs api.ReplicationSlot
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &rs); err != nil {
		return false, err
	}
	return rs.Status.Owned && rs.Status.Origin == api.OriginCreated &&
		meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionReady), nil
}

func slotExists(s *scenario, name string) (bool, error) {
	slots, err := pgSlots(s.pg)
	_, ok := slots[name]
	return ok, err
}

// keptUntouched: the slot is in PostgreSQL and its object never saw it
// recreated or vanish.
func keptUntouched(s *scenario, name string) error {
	if ok, err := slotExists(s, name); err != nil || !ok {
		return fmt.Errorf("slot %s in PostgreSQL: %v (%v)", name, ok, err)
	}
	var rs api.ReplicationSlot
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: "shared"}, &rs); err != nil {
		return err
	}
	if rs.Status.Recreations != 0 || rs.Status.Vanished != 0 {
		return fmt.Errorf("%s/shared: %d recreations, vanished %d times", s.ns, rs.Status.Recreations, rs.Status.Vanished)
	}
	return nil
}

func deleteNow(obj client.Object) {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	Expect(k8s.Delete(ctx, obj)).To(Succeed())
}

func exists(obj client.Object) bool {
	GinkgoHelper()
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), &api.ReplicationSlot{})
	Expect(client.IgnoreNotFound(err)).To(Succeed())
	return err == nil
}

// wakeRepeatedly wakes the object's reconcile a few times (its retries
// back off further with every refused update) and checks kept meanwhile.
func wakeRepeatedly(obj client.Object, kept func() error) {
	GinkgoHelper()
	for i := range 4 {
		wake(obj, strconv.Itoa(i))
		Consistently(kept).WithTimeout(pollInterval).Should(Succeed(),
			"the other team's slot was dropped by a deletion that had dropped its own already")
	}
}

// wake changes the data-gap acknowledgement, one of the changes that
// wake a ReplicationSlot's reconcile; a deleting object ignores it.
func wake(obj client.Object, v string) {
	GinkgoHelper()
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, api.AnnotationAcknowledgeDataGap, "wake-"+v)
	Expect(k8s.Patch(ctx, obj, client.RawPatch("application/merge-patch+json", []byte(patch)))).To(Succeed())
}
