package controllers_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// The API server itself refuses bad manifests (CRD schema and CEL rules), so
// `kubectl apply` shows the error and nothing reaches PostgreSQL.
var _ = Describe("CRD validation", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	DescribeTable("refuses invalid ReplicationSlots",
		func(mutate func(*api.ReplicationSlot), want string) {
			rs := logicalSlot(ns, "valid-name", "db")
			mutate(rs)
			err := k8s.Create(bg, rs)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("uppercase slot name", func(r *api.ReplicationSlot) { r.Spec.SlotName = "Orders" }, "spec.slotName"),
		Entry("dash in slot name", func(r *api.ReplicationSlot) { r.Spec.SlotName = "orders-cdc" }, "spec.slotName"),
		Entry("64-character slot name", func(r *api.ReplicationSlot) { r.Spec.SlotName = strings.Repeat("a", 64) }, "spec.slotName"),
		Entry("object name that makes no slot name", func(r *api.ReplicationSlot) { r.Name = "orders.cdc" }, "set spec.slotName"),
		Entry("Logical without database", func(r *api.ReplicationSlot) { r.Spec.Database = "" }, "database is required for Logical slots"),
		Entry("plugin on a Physical slot", func(r *api.ReplicationSlot) {
			r.Spec.Type, r.Spec.Database, r.Spec.Plugin = api.SlotPhysical, "", "pgoutput"
		}, "plugin is only for Logical slots"),
		Entry("unknown type", func(r *api.ReplicationSlot) { r.Spec.Type = "Temporary" }, "spec.type"),
		Entry("Standby location without host", func(r *api.ReplicationSlot) {
			r.Spec.Location = &api.SlotLocation{Role: api.LocationStandby}
		}, "location.host is required"),
	)

	DescribeTable("refuses changes to immutable fields",
		func(mutate func(*api.ReplicationSlot), want string) {
			rs := logicalSlot(ns, "immutable", "db")
			rs.Spec.SlotName = "immutable"
			Expect(k8s.Create(bg, rs)).To(Succeed())
			before := rs.DeepCopy()
			mutate(rs)
			// A merge patch carries no resourceVersion: the operator adding its
			// finalizer meanwhile cannot make the request fail for another reason.
			err := k8s.Patch(bg, rs, client.MergeFrom(before))
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("slotName", func(r *api.ReplicationSlot) { r.Spec.SlotName = "other" }, "slotName is immutable"),
		Entry("type", func(r *api.ReplicationSlot) { r.Spec.Type, r.Spec.Database = api.SlotPhysical, "" }, "type is immutable"),
		Entry("database", func(r *api.ReplicationSlot) { r.Spec.Database = "other" }, "database is immutable"),
		Entry("plugin", func(r *api.ReplicationSlot) { r.Spec.Plugin = "test_decoding" }, "plugin is immutable"),
		Entry("serverRef", func(r *api.ReplicationSlot) { r.Spec.ServerRef.Name = "other" }, "serverRef is immutable"),
	)

	It("applies the documented defaults", func() {
		rs := logicalSlot(ns, "defaults", "db")
		Expect(k8s.Create(bg, rs)).To(Succeed())
		Expect(rs.Spec.DeletionPolicy).To(Equal(api.DeletionDeleteIfCreated))
		Expect(rs.Spec.InvalidationPolicy).To(Equal(api.InvalidationRecreate))
		Expect(rs.Spec.Adoption).To(Equal(api.AdoptIfMatching))
		Expect(rs.Spec.Location.Role).To(Equal(api.LocationPrimary))
		ps := createServer(ns, "defaults", "pg", primary)
		Expect(ps.Spec.Database).To(Equal("postgres"))
		Expect(ps.Spec.PollInterval.Duration.String()).To(Equal("1s"))
		Expect(string(ps.Spec.StandbySnapshot.Mode)).To(Equal("Auto"))
		Expect(ps.Spec.ConnectTimeout.Duration.String()).To(Equal("5s"))
	})

	DescribeTable("refuses invalid PostgresServers",
		func(mutate func(*api.PostgresServer), want string) {
			ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "invalid"},
				Spec: api.PostgresServerSpec{Hosts: []api.HostPort{{Host: "db.example"}},
					CredentialsSecretRef: api.LocalObjectReference{Name: "pg"}}}
			mutate(ps)
			err := k8s.Create(bg, ps)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("connectTimeout below 1s", func(p *api.PostgresServer) {
			p.Spec.ConnectTimeout = api.NewDuration(500 * time.Millisecond)
		}, "connectTimeout must be a duration between 1s and 5m"),
		Entry("connectTimeout above 5m", func(p *api.PostgresServer) {
			p.Spec.ConnectTimeout = api.NewDuration(6 * time.Minute)
		}, "connectTimeout must be a duration between 1s and 5m"),
		Entry("no hosts", func(p *api.PostgresServer) { p.Spec.Hosts = nil }, "set hosts, hostsFrom or both"),
		Entry("an empty hosts list", func(p *api.PostgresServer) { p.Spec.Hosts = []api.HostPort{} }, "set hosts, hostsFrom or both"),
		Entry("Patroni credentials over http", func(p *api.PostgresServer) {
			p.Spec.Patroni = &api.PatroniSpec{URLs: []string{"http://db-0:8008"}, CredentialsSecretRef: &api.LocalObjectReference{Name: "rest"}}
		}, "credentialsSecretRef is sent only over https"),
		Entry("a Patroni URL that is not http", func(p *api.PostgresServer) {
			p.Spec.Patroni = &api.PatroniSpec{URLs: []string{"ftp://db-0:8008"}}
		}, "spec.patroni.urls"),
		Entry("a Patroni URL with credentials in it", func(p *api.PostgresServer) {
			p.Spec.Patroni = &api.PatroniSpec{URLs: []string{"http://admin:secret@db-0:8008"}}
		}, "spec.patroni.urls"),
		Entry("no Patroni URL", func(p *api.PostgresServer) { p.Spec.Patroni = &api.PatroniSpec{URLs: []string{}} }, "spec.patroni.urls"),
		Entry("an unknown ignoreSlots mode", func(p *api.PostgresServer) {
			p.Spec.Patroni = &api.PatroniSpec{URLs: []string{"http://db-0:8008"}, IgnoreSlots: "Fight"}
		}, "spec.patroni.ignoreSlots"),
		Entry("verify-full without a CA", func(p *api.PostgresServer) {
			p.Spec.TLS = &api.TLSSpec{Mode: api.TLSVerifyFull}
		}, "caSecretRef is required"),
	)

	// Values the typed client cannot even send: written as a user's
	// manifest would carry them.
	DescribeTable("refuses malformed and out-of-range durations and quantities",
		func(kind, field string, value any, want string) {
			spec := map[string]any{"serverRef": map[string]any{"name": "db"}, "type": "Physical"}
			if kind == "PostgresServer" {
				spec = map[string]any{"hosts": []any{map[string]any{"host": "db.example"}},
					"credentialsSecretRef": map[string]any{"name": "pg"}}
			}
			path := strings.Split(field, ".")
			Expect(unstructured.SetNestedField(spec, value, path...)).To(Succeed())
			u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
			u.SetGroupVersionKind(api.GroupVersion.WithKind(kind))
			u.SetNamespace(ns)
			u.SetName("malformed")
			err := k8s.Create(bg, u)
			if want == "" {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("pollInterval banana", "PostgresServer", "pollInterval", "banana", "pollInterval must be a duration between 1s and 1h"),
		Entry("pollInterval 1ns", "PostgresServer", "pollInterval", "1ns", "pollInterval must be a duration between 1s and 1h"),
		Entry("pollInterval 2h", "PostgresServer", "pollInterval", "2h", "pollInterval must be a duration between 1s and 1h"),
		Entry("pollInterval overflowing", "PostgresServer", "pollInterval", "999999h999999h999999h", "pollInterval must be"),
		Entry("pollInterval 1m30s", "PostgresServer", "pollInterval", "1m30s", ""),
		Entry("connectTimeout banana", "PostgresServer", "connectTimeout", "banana", "connectTimeout must be"),
		Entry("standbySnapshot.interval 1ns", "PostgresServer", "standbySnapshot.interval", "1ns", "standbySnapshot.interval must be"),
		Entry("maxUnmanagedRetainedWAL 1e1.5", "PostgresServer", "maxUnmanagedRetainedWAL", "1e1.5", "maxUnmanagedRetainedWAL must be a positive quantity"),
		Entry("maxUnmanagedRetainedWAL -10Gi", "PostgresServer", "maxUnmanagedRetainedWAL", "-10Gi", "maxUnmanagedRetainedWAL must be a positive quantity"),
		Entry("maxRetainedWAL 1e30", "ReplicationSlot", "maxRetainedWAL", "1e30", "maxRetainedWAL must be a positive quantity"),
		Entry("maxRetainedWAL 9223372036854775807000", "ReplicationSlot", "maxRetainedWAL", "9223372036854775807000", "maxRetainedWAL must be a positive quantity"),
		Entry("maxRetainedWAL 0", "ReplicationSlot", "maxRetainedWAL", "0", "maxRetainedWAL must be a positive quantity"),
		Entry("maxRetainedWAL 10Gi", "ReplicationSlot", "maxRetainedWAL", "10Gi", ""),
		Entry("maxRetainedWAL as a number", "ReplicationSlot", "maxRetainedWAL", int64(1073741824), ""),
		Entry("terminateBlockersAfter soon", "ReplicationSlot", "terminateBlockersAfter", "soon", "terminateBlockersAfter must be 0s (off) or a duration between 1s and 24h"),
		Entry("terminateBlockersAfter 1ns", "ReplicationSlot", "terminateBlockersAfter", "1ns", "terminateBlockersAfter must be 0s"),
		Entry("terminateBlockersAfter 0s", "ReplicationSlot", "terminateBlockersAfter", "0s", ""),
	)
})
