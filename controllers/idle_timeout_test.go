package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// idle_replication_slot_timeout (PostgreSQL 18+): an inactive slot says,
// ahead of time and in absolute times, when PostgreSQL will invalidate it.
var _ = Describe("idle_replication_slot_timeout warning", func() {
	BeforeEach(func() {
		if major < 18 {
			Skip("idle_replication_slot_timeout exists from PostgreSQL 18 on")
		}
	})

	It("names the invalidation time of an inactive slot in WALRetentionHealthy, writes nothing more while idle, and reports the invalidation", func() {
		idle := startServer("idle-warning", nil)
		ns, ps := serverOn(idle)
		rs := physicalSlot(ns, "idle-phys", ps.Name)
		rs.Spec.InvalidationPolicy = api.InvalidationKeep
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(rs).Status.InactiveSince).NotTo(BeNil())
		Expect(getCondition(rs, api.ConditionWALRetentionHealthy).Message).NotTo(ContainSubstring("idle_replication_slot_timeout"),
			"the timeout is 0 by default: no warning")

		By("setting the timeout on the server (a reload, nothing else changes)")
		Expect(idle.SetSettings(bg, map[string]string{"idle_replication_slot_timeout": "1h"}, false)).To(Succeed())
		since := get(rs).Status.InactiveSince.UTC()
		want := "inactive since " + since.Format(time.RFC3339) + ": PostgreSQL invalidates it at the first checkpoint after " +
			since.Add(time.Hour).Format(time.RFC3339) + " (idle_replication_slot_timeout = 1h) unless a consumer connects"
		Eventually(func(g Gomega) {
			c := getCondition(get(rs), api.ConditionWALRetentionHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(c.Message).To(HaveSuffix(want))
		}).Should(Succeed())
		Eventually(idleDeadlineMetric(ns, rs.Name)).Should(BeNumerically("==", since.Add(time.Hour).Unix()))

		By("the message is stable: an idle slot costs no status write")
		rv := get(rs).ResourceVersion
		Consistently(func() string { return get(rs).ResourceVersion }, "8s", "1s").Should(Equal(rv))

		By("a timeout the slot has outlived, and a checkpoint, invalidate it")
		Expect(idle.SetSettings(bg, map[string]string{"idle_replication_slot_timeout": "1s"}, false)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(idle.Exec(bg, "CHECKPOINT")).To(Succeed())
			g.Expect(get(rs).Status.InvalidationReason).To(Equal("idle_timeout"))
		}, "30s", "1s").Should(Succeed())
		c := waitCondition(rs, api.ConditionWALRetentionHealthy, metav1.ConditionFalse, api.ReasonLost)
		Expect(c.Message).To(ContainSubstring("idle_timeout"))
		Expect(c.Message).NotTo(ContainSubstring("unless a consumer connects"))
		waitCondition(rs, api.ConditionStalled, metav1.ConditionTrue, api.ReasonInvalidated)
		Eventually(idleDeadlineMetric(ns, rs.Name)).Should(BeNumerically("<", 0), "no deadline series once invalidated")
	})
})

// idleDeadlineMetric reads slotkeeper_slot_idle_invalidation_timestamp_seconds
// of one ReplicationSlot from the operator's registry; -1 when absent.
func idleDeadlineMetric(ns, name string) func() float64 {
	return slotGauge("slotkeeper_slot_idle_invalidation_timestamp_seconds", ns, name)
}

// slotGauge reads one gauge of one ReplicationSlot from the operator's
// registry; -1 when absent.
func slotGauge(metric, ns, name string) func() float64 {
	return gaugeWith(metric, map[string]string{"namespace": ns, "name": name})
}

// gaugeWith reads the gauge of the series whose labels include want from
// the operator's registry; -1 when there is none.
func gaugeWith(metric string, want map[string]string) func() float64 {
	return func() float64 {
		families, err := ctrlmetrics.Registry.Gather()
		Expect(err).NotTo(HaveOccurred())
		for _, f := range families {
			if f.GetName() != metric {
				continue
			}
			for _, m := range f.GetMetric() {
				if hasLabels(m, want) {
					return m.GetGauge().GetValue()
				}
			}
		}
		return -1
	}
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		if label(m, k) != v {
			return false
		}
	}
	return true
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
