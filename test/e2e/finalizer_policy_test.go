package e2e

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// finalizerPolicySpecs run after the samples are Ready. The suite installs
// config/admission as a user on Kubernetes 1.36+ would (BeforeSuite), so
// every object came with its finalizer from the create itself: the
// operator must not have spent a write on the object's metadata.
func finalizerPolicySpecs() {
	It("gives each new object its finalizer in the create, and the operator never writes their metadata", func() {
		for object, finalizer := range map[string]string{
			"rslot/orders-cdc": api.FinalizerName,
			"rslot/standby-b":  api.FinalizerName,
			"pgserver/demo-db": api.ServerFinalizerName,
		} {
			meta := objectMeta(object)
			Expect(meta.Finalizers).To(ContainElement(finalizer), object)
			Expect(metadataWriters(meta)).To(ConsistOf(HavePrefix("kubectl")),
				"%s: only kubectl's apply may have written the object itself; the operator writes its status only", object)
		}
	})
}

// objectMeta reads an object's metadata, managed fields included.
func objectMeta(object string) metav1.ObjectMeta {
	GinkgoHelper()
	var o struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	Expect(json.Unmarshal([]byte(kubectl("get", object, "-o", "json", "--show-managed-fields")), &o)).To(Succeed())
	return o.Metadata
}

// metadataWriters are the field managers that wrote the object itself
// rather than its status subresource.
func metadataWriters(meta metav1.ObjectMeta) []string {
	var who []string
	for _, m := range meta.ManagedFields {
		if m.Subresource == "" {
			who = append(who, m.Manager)
		}
	}
	return who
}
