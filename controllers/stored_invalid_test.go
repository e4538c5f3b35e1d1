package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

var crdKind = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// Objects stored before the CRDs' rules existed (here: stored while the
// rules are taken out of the CRD, then put back) hold values their Go
// types once failed to decode, which stopped the whole kind's cache. Now
// only those objects stall, their status can still be written, and every
// other object keeps being reconciled.
var _ = Describe("objects stored with invalid values", Ordered, func() {
	var ns string
	var badServer, badSlot *unstructured.Unstructured

	BeforeAll(func() {
		ns = newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		withoutRules("postgresservers.pg.slotkeeper.dev", []string{"pollInterval", "maxUnmanagedRetainedWAL"}, func() {
			badServer = storeObject("PostgresServer", ns, "bad-server", map[string]any{
				"hosts":                []any{map[string]any{"host": primary.Host, "port": int64(primary.Port)}},
				"credentialsSecretRef": map[string]any{"name": "pg"}, "tls": map[string]any{"mode": "disable"},
				"pollInterval": "banana", "maxUnmanagedRetainedWAL": "1e1.5"})
		})
		createServer(ns, "db", "pg", primary)
		withoutRules("replicationslots.pg.slotkeeper.dev", []string{"maxRetainedWAL", "terminateBlockersAfter"}, func() {
			badSlot = storeObject("ReplicationSlot", ns, "bad-slot", map[string]any{
				"serverRef": map[string]any{"name": "db"}, "type": "Physical",
				"maxRetainedWAL": "1e1.5", "terminateBlockersAfter": "soon"})
		})
	})

	It("stalls the invalid PostgresServer with InvalidSpec, naming each value", func() {
		ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: badServer.GetName()}}
		c := waitCondition(ps, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidSpec)
		Expect(c.Message).To(ContainSubstring(`spec.pollInterval: "banana" is not a duration`))
		Expect(c.Message).To(ContainSubstring("spec.maxUnmanagedRetainedWAL: 1e1.5 is not a quantity"))
	})

	It("stalls the invalid ReplicationSlot and creates no slot for it", func() {
		rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: badSlot.GetName()}}
		c := waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidSpec)
		Expect(c.Message).To(ContainSubstring("spec.maxRetainedWAL"))
		Expect(c.Message).To(ContainSubstring("spec.terminateBlockersAfter"))
		Expect(slotExists(primary, "bad_slot")()).To(BeFalse())
	})

	It("keeps reconciling every other object of both kinds", func() {
		other, ps := defaultServer()
		rs := physicalSlot(other, "healthy-beside-bad", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		deleteAndWait(rs)
	})

	It("recovers once the value is corrected", func() {
		patch := []byte(`{"spec":{"maxRetainedWAL":"1Gi","terminateBlockersAfter":"30s"}}`)
		Expect(k8s.Patch(bg, badSlot, client.RawPatch("application/merge-patch+json", patch))).To(Succeed())
		rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: badSlot.GetName()}}
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		deleteAndWait(rs)
	})
})

// withoutRules takes the CEL rules of the named spec fields out of a CRD,
// runs store, and puts the CRD back as it was.
func withoutRules(crdName string, fields []string, store func()) {
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(crdKind)
	Expect(k8s.Get(bg, client.ObjectKey{Name: crdName}, crd)).To(Succeed())
	original := crd.DeepCopy()
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for i := range versions {
		for _, f := range fields {
			unstructured.RemoveNestedField(versions[i].(map[string]any),
				"schema", "openAPIV3Schema", "properties", "spec", "properties", f, "x-kubernetes-validations")
		}
	}
	Expect(unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions")).To(Succeed())
	Expect(k8s.Update(bg, crd)).To(Succeed())
	defer func() {
		Expect(k8s.Get(bg, client.ObjectKey{Name: crdName}, crd)).To(Succeed())
		original.SetResourceVersion(crd.GetResourceVersion())
		Expect(k8s.Update(bg, original)).To(Succeed())
	}()
	store()
}

// storeObject creates an object of the kind with the given spec, retrying
// while the API server still applies the CRD's previous rules.
func storeObject(kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(api.GroupVersion.WithKind(kind))
	u.SetNamespace(ns)
	u.SetName(name)
	Eventually(func() error { return k8s.Create(bg, u.DeepCopy()) }).Should(Succeed())
	Expect(k8s.Get(bg, client.ObjectKeyFromObject(u), u)).To(Succeed())
	return u
}
