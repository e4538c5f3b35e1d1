package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// A PostgresServer may name any address; whoever answers there must not
// learn the password from a Secret of the namespace.
var _ = Describe("authentication methods", func() {
	const secret = "harvest-me-if-you-can"

	It("never sends the password to a member that asks for it in cleartext, under the defaults", func() {
		h, err := pgtest.StartHarvester(pgtest.HarvestCleartext, true)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(h.Close)
		ns := newNamespace()
		createSecret(ns, "pg", opRole, secret)
		// No spec.tls (mode require, encryption without verification) and
		// no spec.authMethods: the defaults a newcomer gets.
		ps := createServerWith(ns, "db", "pg", func(ps *api.PostgresServer) { ps.Spec.TLS = nil },
			&pgtest.Server{Host: h.Host(), Port: h.Port()})
		c := waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonAuthMethodRefused)
		Expect(c.Message).To(ContainSubstring("spec.authMethods"))
		Expect(c.Message).NotTo(ContainSubstring(secret))
		rs := physicalSlot(ns, "harvested", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonAuthMethodRefused)
		Expect(h.Asked()).To(BeNumerically(">", 0), "the hostile member was reached")
		Consistently(h.Received, "3s").Should(BeEmpty())
	})

	It("sends it in cleartext only when the PostgresServer allows that method", func() {
		h, err := pgtest.StartHarvester(pgtest.HarvestCleartext, false)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(h.Close)
		ns := newNamespace()
		createSecret(ns, "pg", opRole, secret)
		createServerWith(ns, "db", "pg", func(ps *api.PostgresServer) {
			ps.Spec.AuthMethods = []api.AuthMethod{api.AuthSCRAM, api.AuthPassword}
		}, &pgtest.Server{Host: h.Host(), Port: h.Port()})
		Eventually(h.Received).Should(ContainElement(secret))
	})
})

// The operator's host policy refuses cloud metadata addresses by default:
// a PostgresServer cannot make the operator talk to them.
var _ = Describe("host policy", func() {
	It("refuses a link-local metadata address with HostRefused, before connecting", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := createServer(ns, "db", "pg", &pgtest.Server{Host: "169.254.169.254", Port: 80})
		c := waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonHostRefused)
		Expect(c.Message).To(ContainSubstring("169.254.169.254:80 is refused by the operator's host policy (denied network 169.254.0.0/16)"))
		Expect(c.Message).To(ContainSubstring("--denied-networks"))
	})
})

// Deleting the Secret revokes the credentials: the operator closes every
// session it holds with them, and starts again when the Secret is back.
var _ = Describe("a deleted credentials Secret", func() {
	It("revokes the credentials: no session of that role is left", func() {
		const role, password = "revocable", "revocable-pw"
		Expect(primary.CreateRole(bg, role, password, true)).To(Succeed())
		ns := newNamespace()
		createSecret(ns, "pg", role, password)
		ps := createServer(ns, "db", "pg", primary)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		Eventually(sessionsOf).WithArguments(role).Should(BeNumerically(">", 0))

		Expect(k8s.Delete(bg, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pg"}})).To(Succeed())
		waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonCredentialsMissing)
		Eventually(sessionsOf).WithArguments(role).Should(BeZero())
		Consistently(sessionsOf, "3s").WithArguments(role).Should(BeZero())

		createSecret(ns, "pg", role, password)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
	})
})

// sessionsOf counts the primary's sessions logged in as role.
func sessionsOf(role string) int {
	conn, err := primary.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close(bg) }()
	var n int
	Expect(conn.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity WHERE usename = $1`, role).Scan(&n)).To(Succeed())
	return n
}
