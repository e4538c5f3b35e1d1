package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestCacheTransform(t *testing.T) {
	applied := map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"password":"c2VjcmV0"}}`}
	secret := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "pg", Annotations: applied,
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}}
	out, err := CacheTransform()(secret)
	if err != nil {
		t.Fatal(err)
	}
	if m := out.(*metav1.PartialObjectMetadata); m.Annotations != nil || m.ManagedFields != nil {
		t.Errorf("a Secret's metadata keeps %v, %v", m.Annotations, m.ManagedFields)
	}
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: "s",
		Annotations: map[string]string{api.AnnotationAcknowledgeDataGap: "2026-12-03T10:00:00Z"}}}
	out, err = CacheTransform()(rs)
	if err != nil {
		t.Fatal(err)
	}
	if out.(*api.ReplicationSlot).Annotations[api.AnnotationAcknowledgeDataGap] == "" {
		t.Error("a ReplicationSlot lost its acknowledgement annotation")
	}
}
