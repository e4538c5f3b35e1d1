package chaos

import (
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// holdFinalizers makes kube-apiserver refuse, in namespace ns, every
// update of a ReplicationSlot that removes slotkeeper's finalizer: a
// ValidatingAdmissionPolicy, so the refusal is the real API server's. It
// waits until the policy is in force and undoes it at clean-up.
func holdFinalizers(ns string) {
	GinkgoHelper()
	name := "chaos-hold-finalizers-" + ns
	has := func(o string) string {
		return fmt.Sprintf("(has(%s.metadata.finalizers) && %q in %s.metadata.finalizers)", o, api.FinalizerName, o)
	}
	fail := admissionv1.Fail
	create(&admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Update},
					Rule: admissionv1.Rule{APIGroups: []string{api.GroupVersion.Group},
						APIVersions: []string{"*"}, Resources: []string{"replicationslots"}},
				},
			}}},
			Validations: []admissionv1.Validation{{
				Expression: "!" + has("oldObject") + " || " + has("object"),
				Message:    "chaos: slotkeeper's finalizer stays in this namespace",
			}},
		},
	})
	create(&admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}},
		},
	})
	DeferCleanup(letFinalizersGo, ns)
	Eventually(func() error { return removeFinalizerDryRun(ns) }).WithTimeout(30*time.Second).
		Should(MatchError(ContainSubstring("finalizer stays")), "the admission policy never came into force")
}

// letFinalizersGo removes holdFinalizers' policy and waits until it is no
// longer in force.
func letFinalizersGo(ns string) {
	GinkgoHelper()
	name := "chaos-hold-finalizers-" + ns
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	for _, obj := range []client.Object{
		&admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name}},
		&admissionv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}},
	} {
		Expect(client.IgnoreNotFound(k8s.Delete(ctx, obj))).To(Succeed())
	}
	Eventually(func() error { return removeFinalizerDryRun(ns) }).WithTimeout(30 * time.Second).Should(Succeed())
}

// removeFinalizerDryRun tries, without persisting anything, to remove the
// finalizer of a ReplicationSlot of ns that has one; nil when none has.
func removeFinalizerDryRun(ns string) error {
	items, err := slotsIn(ns)
	if err != nil {
		return err
	}
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	for i := range items {
		rs := &items[i]
		before := len(rs.Finalizers)
		rs.Finalizers = slices.DeleteFunc(rs.Finalizers, func(f string) bool { return f == api.FinalizerName })
		if len(rs.Finalizers) != before {
			return k8s.Update(ctx, rs, client.DryRunAll)
		}
	}
	return nil
}
