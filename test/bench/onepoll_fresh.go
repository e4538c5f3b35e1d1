package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// freshFailoverSlots: on a primary with a streaming standby, physical
// slots with failover: true created one after another, each timed from
// its create to FailoverReady=True (Synced) in status. The reconcile that
// creates the slot makes the copy on the standby in the same pass; the
// verdict needs the poll that lists both.
func (h *harness) freshFailoverSlots(ctx context.Context, major int) ([]time.Duration, error) {
	_, _, ns, cleanup, err := h.pairNamespace(ctx, major, "onepoll_fresh")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []time.Duration
	for i := range onePollRuns {
		rs := slotObj(ns, i, false)
		rs.Spec.Failover = true
		t0 := time.Now()
		if err := h.c.Create(ctx, rs); err != nil {
			return out, err
		}
		if _, err := h.waitSlotNamed(ctx, ns, rs.Name, time.Minute, "FailoverReady", reasonIs(api.ConditionFailoverReady, metav1.ConditionTrue, api.ReasonSynced)); err != nil {
			return out, fmt.Errorf("%s: %w", rs.Name, err)
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}
