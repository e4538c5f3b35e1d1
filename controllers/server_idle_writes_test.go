package controllers_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// A server whose figures move by a few kilobytes (the WAL of a checkpoint
// on an idle primary) must cost the API server no write; once they move by
// a step (a MiB here) its status is rewritten. A primary of its own, so
// that no other spec's WAL moves the figures meanwhile.
var _ = Describe("An idle server's status", func() {
	It("is not rewritten for kilobytes of WAL, and is once its figures move by a MiB", func() {
		p := startServer("idlewrites", nil)
		Expect(p.Exec(bg, "SELECT pg_create_physical_replication_slot('idle_keeper', true)")).To(Succeed())
		Expect(p.Exec(bg, "CREATE TABLE w(x text)")).To(Succeed())
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		ps := createServer(ns, "db", "pg", p)
		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		Eventually(func() *int64 { return keeperRetained(get(ps)) }).ShouldNot(BeNil())
		was := get(ps).Status

		// Kilobytes of WAL: every reconcile sees them (the metric comes from
		// the same reconcile as the status), and none writes the status.
		Expect(p.Exec(bg, "INSERT INTO w SELECT repeat('x', 1000) FROM generate_series(1, 8)")).To(Succeed())
		touches := 0
		Eventually(func() float64 {
			touches++
			touch(ps, touches)
			return inactiveUnmanagedBytes(ns, ps.Name)
		}).WithPolling(500 * time.Millisecond).Should(BeNumerically(">", *keeperRetained(&api.PostgresServer{Status: was})))
		Consistently(func() api.PostgresServerStatus { return get(ps).Status }, "2s").Should(Equal(was))

		// About 2 MiB of WAL (rows too small to be compressed): the next
		// reconcile writes the figures.
		Expect(p.Exec(bg, "INSERT INTO w SELECT md5(i::text) || md5((-i)::text) FROM generate_series(1, 20000) i")).To(Succeed())
		Eventually(func() int64 {
			touches++
			touch(ps, touches)
			return *keeperRetained(get(ps))
		}).WithPolling(500 * time.Millisecond).Should(BeNumerically(">=", 1<<20))
	})
})

// keeperRetained is idle_keeper's retention as the server's status lists it.
func keeperRetained(ps *api.PostgresServer) *int64 {
	for _, u := range ps.Status.UnmanagedSlots {
		if u.Name == "idle_keeper" {
			return u.RetainedWALBytes
		}
	}
	return nil
}

// touch changes an annotation of the server, which makes the operator
// reconcile it without changing anything its status says.
func touch(ps *api.PostgresServer, n int) {
	patch := client.MergeFrom(&api.PostgresServer{})
	obj := &api.PostgresServer{}
	obj.Annotations = map[string]string{"test.slotkeeper.dev/touch": fmt.Sprint(n)}
	obj.Namespace, obj.Name = ps.Namespace, ps.Name
	Expect(k8s.Patch(bg, obj, patch)).To(Succeed())
}

// inactiveUnmanagedBytes reads slotkeeper_server_unmanaged_retained_wal_bytes
// {state="inactive"} of one server from the operator's registry; -1 when
// absent.
func inactiveUnmanagedBytes(ns, name string) float64 {
	return gaugeWith("slotkeeper_server_unmanaged_retained_wal_bytes",
		map[string]string{"namespace": ns, "server": name, "state": "inactive"})()
}
