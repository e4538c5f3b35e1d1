package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// failoverSlotManifest declares a failover slot "fo" on its own pair.
func failoverSlotManifest(ns string, pair *harness.Postgres) string {
	return serverManifest(ns, time.Second, pair.Primary, pair.Standby) + fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: fo, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[2]s, plugin: test_decoding, failover: true}
`, ns, harness.Database)
}

// failoverColumn is the FAILOVER cell of `kubectl get rslot -o wide`.
func failoverColumn(ns string) func() string {
	return func() string {
		return byName(table(kubectl("get", "rslot", "-n", ns, "-o", "wide")))["fo"]["FAILOVER"]
	}
}

var _ = Describe("FailoverReady with kubectl", func() {
	It("shows in `get -o wide` and satisfies `kubectl wait --for=condition=FailoverReady`", func() {
		pair, err := harness.StartPostgres(context.Background(), 17)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pair.Cleanup)
		ns := "e2e-failover-ready"
		kubectlIn(failoverSlotManifest(ns, pair), "apply", "-f", "-")
		DeferCleanup(deleteFailoverObjects, ns)
		kubectl("wait", "--for=condition=Ready", "rslot/fo", "-n", ns, "--timeout=60s")

		By("the standby lacks the slot-sync settings: False, naming them")
		Eventually(failoverColumn(ns)).Should(Equal("False"))
		Expect(kubectl("get", "rslot/fo", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="FailoverReady")].message}`)).
			To(ContainSubstring("sync_replication_slots = on"))

		By("setting them, and a consumer moving on, turns it True")
		Expect(pair.Standby.SetSettings(context.Background(),
			map[string]string{"sync_replication_slots": "on", "hot_standby_feedback": "on"}, false)).To(Succeed())
		Eventually(func() error {
			if err := pair.Primary.Exec(context.Background(),
				"SELECT pg_replication_slot_advance('fo', pg_current_wal_lsn()) FROM pg_switch_wal()"); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _, err := kctl.Run(ctx, "", "wait", "--for=condition=FailoverReady", "rslot/fo", "-n", ns, "--timeout=3s")
			return err
		}, "90s", "100ms").Should(Succeed())
		Expect(failoverColumn(ns)()).To(Equal("True"))
	})
})
