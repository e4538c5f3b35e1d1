package chaos

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// ownerBound bounds how long the objects of a pair take to agree on one
// owner: a few reconciles, with room for a busy machine.
const ownerBound = 45 * time.Second

// Scenario 5: two objects declare the same slot at the same moment.
var _ = Describe("conflicting objects created concurrently", Label("conflict"), func() {
	It("gives each slot exactly one owner in one namespace, and deleting the other keeps it", func() {
		start := time.Now()
		s := newScenario("conf")
		for i := range counts.ConflictPairs {
			slot := fmt.Sprintf("%spair_%02d", s.prefix(), i)
			a := s.slotObject(fmt.Sprintf("conf-%02d-a", i), slotType(i))
			b := s.slotObject(fmt.Sprintf("conf-%02d-b", i), slotType(i))
			a.Spec.SlotName, b.Spec.SlotName = slot, slot
			createTogether(a, b)
		}
		expectOneOwnerEach(s.ns)
		s.expectInvariants(ownerReadyOthersConflict, noSlotLost)

		By("deleting the objects that do not own their slot")
		deleteNotOwned(s.ns)
		Consistently(s.nothingLost).WithTimeout(2 * pollInterval).Should(Succeed())
		s.expectInvariants(nil, noSlotLost)
		report("scenario 5 (one namespace) took", time.Since(start).Round(time.Second))
	})

	// Two teams, each with a namespace, a PostgresServer and a role of its
	// own, reach the same PostgreSQL at the same address and declare the
	// same slot name. PostgreSQL has one slot of that name, so exactly one
	// object may own it. Deleting one team's objects drops the slots that
	// team owns (another namespace never keeps a slot alive), keeps the
	// other team's, and the other team's waiting objects make their own.
	Describe("across namespaces", Ordered, ContinueOnFailure, func() {
		var s, t *scenario
		BeforeAll(func() {
			s, t = newScenario("xns"), newScenario("xnsb")
			for i := range counts.ConflictPairs {
				slot := fmt.Sprintf("%spair_%02d", s.prefix(), i)
				a := s.slotObject(fmt.Sprintf("xns-%02d", i), slotType(i))
				b := t.slotObject(fmt.Sprintf("xns-%02d", i), slotType(i))
				a.Spec.SlotName, b.Spec.SlotName = slot, slot
				createTogether(a, b)
			}
		})

		It("gives each slot exactly one owner", func() {
			expectOneOwnerEach(s.ns, t.ns)
			Expect(pgSlotCount(s, counts.ConflictPairs)).To(Succeed())
			s.expectCanaries()
			t.expectCanaries()
		})

		It("keeps a team's slots when the other team's objects are deleted, and its waiting objects make their own", func() {
			theirs := ownedIn(t.ns)
			report(fmt.Sprintf("conflict: of %d shared names, the deleted team owned", counts.ConflictPairs), len(theirs))
			deleteAllIn(t.ns)
			Consistently(s.nothingLost).WithTimeout(2*pollInterval).Should(Succeed(),
				"deleting one team's objects dropped or recreated the other team's slots")
			s.expectInvariants(nil, noSlotLost)
			Expect(pgSlotCount(s, counts.ConflictPairs)).To(Succeed())
			items, err := slotsIn(s.ns)
			Expect(err).NotTo(HaveOccurred())
			for i := range items {
				if theirs[slotNameOf(&items[i])] {
					Expect(items[i].Status.Origin).To(Equal(api.OriginCreated),
						"%s: the other team's slot was dropped with its object; this one made its own", items[i].Name)
				}
			}
		})
	})
})

// ownedIn is the set of slot names the objects of ns own.
func ownedIn(ns string) map[string]bool {
	GinkgoHelper()
	items, err := slotsIn(ns)
	Expect(err).NotTo(HaveOccurred())
	out := map[string]bool{}
	for i := range items {
		if items[i].Status.Owned {
			out[slotNameOf(&items[i])] = true
		}
	}
	return out
}

// expectOneOwnerEach waits until every slot declared in the namespaces has
// exactly one owner and every other object is Stalled with Conflict, and
// checks that it stays so.
func expectOneOwnerEach(namespaces ...string) {
	GinkgoHelper()
	problems := func() ([]string, error) { return ownerProblems(namespaces...) }
	settled := time.Now()
	Eventually(problems).WithTimeout(ownerBound).WithPolling(time.Second).Should(BeEmpty())
	report(fmt.Sprintf("conflict: one owner per slot in %v after", namespaces), time.Since(settled).Round(100*time.Millisecond))
	Consistently(problems).WithTimeout(2 * pollInterval).WithPolling(500 * time.Millisecond).Should(BeEmpty())
}

// deleteNotOwned deletes the objects of ns that do not own their slot and
// waits until they are gone.
func deleteNotOwned(ns string) {
	GinkgoHelper()
	items, err := slotsIn(ns)
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	n := 0
	for i := range items {
		if !items[i].Status.Owned {
			Expect(k8s.Delete(ctx, &items[i])).To(Succeed())
			n++
		}
	}
	Eventually(func() (int, error) {
		items, err := slotsIn(ns)
		return len(items), err
	}).WithTimeout(time.Minute).Should(Equal(len(items) - n))
}

// createTogether creates both objects at the same moment from two
// goroutines released together.
func createTogether(a, b *api.ReplicationSlot) {
	GinkgoHelper()
	release := make(chan struct{})
	var wg sync.WaitGroup
	for _, rs := range []*api.ReplicationSlot{a, b} {
		wg.Go(func() {
			defer GinkgoRecover()
			<-release
			create(rs)
		})
	}
	close(release)
	wg.Wait()
}

// ownerReadyOthersConflict: the owner is Ready, the other is refused with
// reason Conflict.
func ownerReadyOthersConflict(rs *api.ReplicationSlot) want {
	if rs.Status.Owned {
		return want{ready: metav1.ConditionTrue}
	}
	return want{ready: metav1.ConditionFalse, reason: api.ReasonConflict}
}

// ownerProblems lists, per slot name declared in the namespaces, what
// breaks "exactly one owner, every other object Stalled with Conflict".
func ownerProblems(namespaces ...string) ([]string, error) {
	bySlot := map[string][]api.ReplicationSlot{}
	for _, ns := range namespaces {
		items, err := slotsIn(ns)
		if err != nil {
			return nil, err
		}
		for _, rs := range items {
			bySlot[slotNameOf(&rs)] = append(bySlot[slotNameOf(&rs)], rs)
		}
	}
	var problems []string
	for slot, objs := range bySlot {
		var owners []string
		for i := range objs {
			rs := &objs[i]
			if rs.Status.Owned {
				owners = append(owners, rs.Namespace+"/"+rs.Name)
				continue
			}
			if !meta.IsStatusConditionTrue(rs.Status.Conditions, api.ConditionStalled) ||
				meta.FindStatusCondition(rs.Status.Conditions, api.ConditionStalled).Reason != api.ReasonConflict {
				problems = append(problems, fmt.Sprintf("%s: %s/%s neither owns it nor is Stalled with Conflict", slot, rs.Namespace, rs.Name))
			}
		}
		if len(owners) != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d owners %v", slot, len(owners), owners))
		}
	}
	return problems, nil
}

// pgSlotCount: PostgreSQL has exactly n slots of the scenario besides its
// canaries.
func pgSlotCount(s *scenario, n int) error {
	slots, err := pgSlots(s.pg)
	if err != nil {
		return err
	}
	got := 0
	for name := range slots {
		if strings.HasPrefix(name, s.prefix()) && !slices.Contains(s.canaries, name) {
			got++
		}
	}
	if got != n {
		return fmt.Errorf("%d slots with prefix %s in PostgreSQL, want %d", got, s.prefix(), n)
	}
	return nil
}
