package e2e

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// validationNS keeps these objects away from the samples, whose specs wait
// on `rslot --all` and count the server's slots.
const validationNS = "e2e-validation"

// slotManifest is a ReplicationSlot in validationNS; spec is its YAML body,
// indented by two spaces. The server does not exist, so the operator never
// touches PostgreSQL for these.
func slotManifest(name, spec string) string {
	return fmt.Sprintf(`apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata:
  name: %s
  namespace: %s
spec:
  serverRef:
    name: e2e-nowhere
%s
`, name, validationNS, spec)
}

// The API server itself refuses bad manifests (CRD schema and CEL), so
// kubectl apply fails with the rule's message and nothing is stored.
var _ = Describe("kubectl apply of a bad ReplicationSlot", Ordered, ContinueOnFailure, func() {
	BeforeAll(func() {
		kubectl("create", "namespace", validationNS)
	})

	DescribeTable("is refused by the API server",
		func(name, spec string, messages ...string) {
			stderr := kubectlRefused(slotManifest(name, spec), "apply", "-f", "-")
			Expect(stderr).To(ContainSubstring(`The ReplicationSlot %q is invalid`, name))
			for _, m := range messages {
				Expect(stderr).To(ContainSubstring(m))
			}
			Expect(kubectlRefused("", "get", "rslot", name, "-n", validationNS)).To(ContainSubstring("NotFound"))
		},
		Entry("an uppercase slotName", "bad-upper", "  type: Physical\n  slotName: Orders_CDC",
			`spec.slotName: Invalid value: "Orders_CDC"`, "should match '^[a-z0-9_]{1,63}$'"),
		Entry("a 64-character slotName", "bad-long", "  type: Physical\n  slotName: "+strings.Repeat("a", 64),
			"spec.slotName: Too long: may not be more than 63 bytes"),
		Entry("a Logical slot without database", "bad-logical", "  type: Logical",
			"database is required for Logical slots"),
	)

	It("refuses a change of spec.type", func() {
		kubectlIn(slotManifest("e2e-immutable", "  type: Physical"), "apply", "-f", "-")
		DeferCleanup(kubectl, "delete", "rslot/e2e-immutable", "-n", validationNS, "--wait", "--timeout=60s")
		changed := slotManifest("e2e-immutable", "  type: Logical\n  database: orders")
		Expect(kubectlRefused(changed, "apply", "-f", "-")).To(And(
			ContainSubstring(`The ReplicationSlot "e2e-immutable" is invalid`),
			ContainSubstring("type is immutable"),
		))
		Expect(kubectl("get", "rslot/e2e-immutable", "-n", validationNS, "-o", "jsonpath={.spec.type}")).
			To(Equal("Physical"))
	})
})
