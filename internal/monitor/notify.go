package monitor

import (
	"context"
	"fmt"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// notify compares two snapshots and wakes the server object when its view
// changed, and each ReplicationSlot whose slot or member changed. Figures
// that move all the time (LSNs, byte counts) are left out on purpose: the
// reconcilers refresh them on their own slower schedule.
func (m *Manager) notify(ctx context.Context, key types.NamespacedName, prev, cur *Snapshot) {
	if prev == nil || serverFingerprint(prev) != serverFingerprint(cur) {
		m.send(ctx, m.serverEvents, key)
	}
	for slot, objs := range m.tracker.watchers(key) {
		if prev != nil && slotFingerprint(prev, slot) == slotFingerprint(cur, slot) {
			continue
		}
		for _, obj := range objs {
			m.send(ctx, m.slotEvents, obj)
		}
	}
}

func (m *Manager) send(ctx context.Context, ch chan event.GenericEvent, key types.NamespacedName) {
	ev := event.GenericEvent{Object: &metav1.PartialObjectMetadata{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
	}}
	select {
	case ch <- ev:
	case <-ctx.Done():
	}
}

func serverFingerprint(s *Snapshot) string {
	out := fmt.Sprint(s.Claims, s.Refused)
	for i := range s.Members {
		mb := &s.Members[i]
		out += "|" + mb.Addr() + memberFingerprint(mb)
		out += fmt.Sprint(len(mb.Slots), errReason(mb.SlotsErr))
		// In name order: map order is random and would wake the server
		// object on every poll.
		for _, name := range slices.Sorted(maps.Keys(mb.Slots)) {
			sl := mb.Slots[name]
			out += fmt.Sprint(name, sl.Active, sl.WALStatus)
		}
	}
	return out
}

func memberFingerprint(mb *Member) string {
	if mb.Identity == nil {
		return "down:" + errReason(mb.Err)
	}
	id := mb.Identity
	return fmt.Sprint(id.InRecovery, id.Timeline, id.SystemIdentifier, id.VersionNum,
		id.PostmasterStart.UnixNano(), id.Settings, id.Rights)
}

// slotFingerprint covers the slot on every member (location may be a
// standby) plus the members' roles, so a failover wakes every slot.
func slotFingerprint(s *Snapshot, slot string) string {
	out := fmt.Sprint(s.Claims)
	for i := range s.Members {
		mb := &s.Members[i]
		out += "|" + mb.Addr() + memberFingerprint(mb)
		sl, ok := mb.Slots[slot]
		if !ok {
			out += ":absent"
			continue
		}
		out += fmt.Sprint(sl.Type, sl.Plugin, sl.Database, sl.Temporary, sl.Active, sl.ActivePID,
			sl.WALStatus, sl.InvalidationReason, sl.Conflicting, sl.Synced, sl.Failover)
	}
	return out
}

func errReason(e *postgres.Error) string {
	if e == nil {
		return ""
	}
	return string(e.Reason) + e.Message
}
