package chaos

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// Scenario 6: the role's password is rotated, and its REPLICATION right
// revoked and granted back, while the operator runs.
var _ = Describe("credentials and rights changing underneath", Label("credentials"), func() {
	It("follows a rotated password without a restart", func() {
		start := time.Now()
		s := newScenario("creds")
		existing := s.declare("before", 2)
		Eventually(s.readyCount).WithArguments(existing).Should(Equal(2))
		pid := operator.Pid()

		By("changing the password in PostgreSQL, and cutting the sessions that still use the old one")
		s.password = "rotated-" + s.password
		pgExec(s.pg, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{s.role}.Sanitize(), s.password))
		proxy.CutAll()
		Eventually(s.serverReadyReason).Should(Equal(api.ReasonAuthenticationFailed),
			"the old password no longer works and the server says so")

		By("updating the Secret")
		rotated := time.Now()
		s.updateSecretPassword()
		Eventually(s.serverReady).Should(Equal(metav1.ConditionTrue))
		report("credentials: Secret update to PostgresServer Ready", time.Since(rotated).Round(100*time.Millisecond))
		after := s.declare("after", 2)
		Eventually(s.readyCount).WithArguments(after).Should(Equal(2))
		Expect(operator.Pid()).To(Equal(pid), "the operator restarted")
		s.expectInvariants(nil, noSlotLost)
		report("scenario 6 (rotation) took", time.Since(start).Round(time.Second))
	})

	It("reports a revoked REPLICATION right, drops nothing, and converges once it is back", func() {
		start := time.Now()
		s := newScenario("norepl")
		existing := s.declare("before", 2)
		Eventually(s.readyCount).WithArguments(existing).Should(Equal(2))

		By("revoking REPLICATION, then declaring new slots")
		role := pgx.Identifier{s.role}.Sanitize()
		pgExec(s.pg, "ALTER ROLE "+role+" NOREPLICATION")
		DeferCleanup(pgExec, s.pg, "ALTER ROLE "+role+" REPLICATION")
		denied := s.declareDenied()
		Eventually(s.deniedProblems).WithArguments(denied).Should(BeEmpty())
		Consistently(s.nothingLost).WithTimeout(2 * pollInterval).Should(Succeed())
		Expect(s.readyCount(existing)).To(Equal(2), "existing slots stay Ready: observing them needs no REPLICATION")

		By("granting REPLICATION back")
		pgExec(s.pg, "ALTER ROLE "+role+" REPLICATION")
		// A failed logical creation is kept, and reported, for a minute
		// before it is tried again (docs/operations.md); allow two.
		s.slack = 2 * time.Minute
		granted := time.Now()
		s.expectInvariants(nil, noSlotLost)
		report("norepl: REPLICATION granted to every invariant", time.Since(granted).Round(time.Second))
		report("scenario 6 (REPLICATION revoked) took", time.Since(start).Round(time.Second))
	})
})

// declareDenied declares the slots to be refused: a physical one, and in
// the full form a logical one too, whose failed background creation is
// retried only after a minute (too slow for the short form).
func (s *scenario) declareDenied() []string {
	GinkgoHelper()
	names := []string{s.name + "-denied-physical"}
	create(s.slotObject(names[0], api.SlotPhysical))
	if full {
		names = append(names, s.name+"-denied-logical")
		create(s.slotObject(names[1], api.SlotLogical))
	}
	return names
}

// updateSecretPassword writes s.password into the scenario's Secret.
func (s *scenario) updateSecretPassword() {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	var secret corev1.Secret
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: "pg"}, &secret)).To(Succeed())
	secret.Data["password"] = []byte(s.password)
	Expect(k8s.Update(ctx, &secret)).To(Succeed())
}

// serverReadyReason is the reason of the server's Ready condition.
func (s *scenario) serverReadyReason() (string, error) {
	ps, err := s.server()
	if err != nil {
		return "", err
	}
	if c := meta.FindStatusCondition(ps.Status.Conditions, api.ConditionReady); c != nil {
		return c.Reason, nil
	}
	return "", nil
}

// deniedProblems lists the objects among names that do not (yet) report
// PermissionDenied with the statement that fixes it.
func (s *scenario) deniedProblems(names []string) ([]string, error) {
	items, err := s.slots()
	if err != nil {
		return nil, err
	}
	fix := "ALTER ROLE " + pgx.Identifier{s.role}.Sanitize() + " REPLICATION"
	var problems []string
	for i := range items {
		rs := &items[i]
		if !strings.HasPrefix(rs.Name, s.name+"-denied-") {
			continue
		}
		c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionReady)
		switch {
		case c == nil:
			problems = append(problems, rs.Name+": no Ready condition")
		case c.Status != metav1.ConditionFalse || c.Reason != api.ReasonPermissionDenied || !strings.Contains(c.Message, fix):
			problems = append(problems, fmt.Sprintf("%s: Ready=%s %s: %s", rs.Name, c.Status, c.Reason, c.Message))
		}
	}
	if len(problems) == 0 && len(names) > 0 {
		report("norepl: what a denied slot says", s.readyMessage(names[0]))
	}
	return problems, nil
}

func (s *scenario) readyMessage(name string) string {
	items, _ := s.slots()
	for i := range items {
		if items[i].Name == name {
			if c := meta.FindStatusCondition(items[i].Status.Conditions, api.ConditionReady); c != nil {
				return c.Reason + ": " + c.Message
			}
		}
	}
	return ""
}
