package status

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// ServerFiguresSettled reports whether server status b tells nothing that
// a does not: they differ at most in byte figures (a standby's replay lag,
// unmanaged slots' retention and the message that quotes it) that stayed
// within their step (observation.FigureStep). The server's refresh then
// writes nothing, as a slot's does: the lag and retention an idle server's
// checkpoints move by a few kilobytes cost no API write.
func ServerFiguresSettled(a, b api.PostgresServerStatus) bool {
	return equality.Semantic.DeepEqual(coarseServer(a), coarseServer(b))
}

// coarseServer is the status with each byte figure replaced by its step,
// the unmanaged slots in name order (they are listed largest first, so two
// of nearly the same size swap places as WAL moves) and the unmanaged
// retention message left out while its status and reason hold.
func coarseServer(s api.PostgresServerStatus) api.PostgresServerStatus {
	step := func(p *int64) *int64 { v := observation.FigureStep(p); return &v }
	s.Members = slices.Clone(s.Members)
	for i := range s.Members {
		s.Members[i].ReplayLagBytes = step(s.Members[i].ReplayLagBytes)
	}
	s.UnmanagedSlots = slices.Clone(s.UnmanagedSlots)
	slices.SortFunc(s.UnmanagedSlots, func(x, y api.UnmanagedSlot) int { return strings.Compare(x.Name, y.Name) })
	for i := range s.UnmanagedSlots {
		s.UnmanagedSlots[i].RetainedWALBytes = step(s.UnmanagedSlots[i].RetainedWALBytes)
	}
	if s.Slots != nil {
		c := *s.Slots
		c.UnmanagedRetainedWALBytes = *step(&c.UnmanagedRetainedWALBytes)
		c.InactiveUnmanagedRetainedWALBytes = *step(&c.InactiveUnmanagedRetainedWALBytes)
		s.Slots = &c
	}
	s.Conditions = slices.Clone(s.Conditions)
	for i := range s.Conditions {
		if s.Conditions[i].Type == api.ConditionUnmanagedWALRetentionHealthy {
			s.Conditions[i].Message = ""
		}
	}
	return s
}
