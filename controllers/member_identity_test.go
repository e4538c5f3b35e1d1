package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// A Service name and a pod name for the same primary are one server: no
// split brain, and slots are created and kept as usual.
var _ = Describe("the same primary listed twice", func() {
	It("is one primary, not a split brain", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		alias := &pgtest.Server{Host: "localhost", Port: primary.Port}
		ps := createServer(ns, "db", "pg", primary, alias, standby)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		Expect(get(ps).Status.Conditions).NotTo(ContainElement(HaveField("Type", api.ConditionSplitBrain)))
		roles := map[string]api.MemberRole{}
		for _, m := range get(ps).Status.Members {
			roles[m.Host] = m.Role
		}
		Expect(roles).To(HaveKeyWithValue("localhost", api.RolePrimary))
		rs := physicalSlot(ns, "aliased", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(rs).Status.Host).To(Equal(primary.Addr()))
		deleteAndWait(rs)
	})
})

// A standby of another cluster listed by mistake (or on purpose) is
// refused as a member, and a slot placed on it by location is refused too.
var _ = Describe("a location on another cluster's standby", func() {
	It("is refused, and nothing is created there", func() {
		// A fresh initdb: a system identifier of its own (pgtest's servers
		// are otherwise copies of one template).
		other, err := pgtest.StartPrimary(bg, pgtest.Options{Major: major, Name: "foreign", FreshInitdb: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(other.Cleanup)
		Expect(other.CreateRole(bg, opRole, opPassword, true)).To(Succeed())
		foreign, err := other.AddStandby(bg, "foreign_sb", nil)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(foreign.Cleanup)
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := createServer(ns, "db", "pg", primary, standby, foreign)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		rs := physicalSlot(ns, "on-foreign", ps.Name)
		rs.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: foreign.Host, Port: int32(foreign.Port)}
		Expect(k8s.Create(bg, rs)).To(Succeed())
		c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidSpec)
		Expect(c.Message).To(ContainSubstring("belongs to another cluster"))
		Consistently(slotExists(foreign, "on_foreign"), "3s").Should(BeFalse())
	})
})
