package slot

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/metrics"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// publishMetrics exports the live figures on every reconcile; status keeps
// them at most every 30 s.
func publishMetrics(rs *api.ReplicationSlot, sc *slotScope) {
	in := slotInputs(rs, status.Outcome{}, sc.row)
	m := metrics.Slot{Namespace: rs.Namespace, Name: rs.Name, SlotName: rs.Status.SlotName, Server: rs.Spec.ServerRef.Name,
		Ready: status.ReadyOf(rs.Status.Conditions).Status == metav1.ConditionTrue, Active: ptr.Deref(rs.Status.Active, false),
		DataGap: in.Gap != nil && !in.Acknowledged, BudgetBytes: in.BudgetBytes, Recreations: rs.Status.Recreations,
		DataGapBytesTotal: rs.Status.DataGapBytesTotal, BlockedSeconds: blockedSeconds(rs.Status.Conditions),
		FailoverReady: failoverReadyFlag(rs), Vanished: rs.Status.Vanished, GapWindowBytes: ptr.To[int64](0), AheadBytes: ptr.To[int64](0),
		LeftBehind: int32(len(formerRecords(rs)))}
	if in.Gap != nil && !in.Acknowledged {
		m.GapWindowBytes, m.GapRecreations = in.Gap.Bytes, max(in.Gap.Recreations, 1)
		if a := in.Gap.ConsumerAhead; a != nil {
			m.AheadBytes = a.Bytes
		}
	}
	if row := sc.row; row != nil {
		m.RetainedBytes, m.SafeWALSizeBytes = row.RetainedBytes, row.SafeWALSize
		m.WALStatus, m.InvalidationReason = row.WALStatus, observation.InvalidationOf(row)
		m.LagBytes = consumerLag(sc, row)
		if row.InactiveSince != nil && !row.Active {
			m.InactiveSince = ptr.To(float64(row.InactiveSince.Unix()))
		}
		if d := idleDeadline(sc); d != nil {
			m.IdleInvalidationAt = ptr.To(float64(d.At.Unix()))
		}
	}
	metrics.SetSlot(m)
}

// consumerLag is how far the consumer is behind the holding member's WAL
// position.
func consumerLag(sc *slotScope, row *postgres.Slot) *int64 {
	if sc.target == nil {
		return nil
	}
	return status.ConsumerLag(sc.target.Identity, row)
}

func blockedSeconds(conds []metav1.Condition) float64 {
	c := status.ConditionOf(conds, api.ConditionCreationBlocked)
	if c.Status != metav1.ConditionTrue {
		return 0
	}
	return time.Since(c.LastTransitionTime.Time).Seconds()
}

func failoverReadyFlag(rs *api.ReplicationSlot) *bool {
	c := status.ConditionOf(rs.Status.Conditions, api.ConditionFailoverReady)
	if !rs.Spec.Failover || c.Type == "" {
		return nil
	}
	return ptr.To(c.Status == metav1.ConditionTrue)
}
