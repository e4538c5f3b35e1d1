package monitor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// notify compares two snapshots and wakes the server object when its view
// changed, and each ReplicationSlot whose slot or member changed. Figures
// that move all the time (LSNs, byte counts) are left out on purpose: the
// reconcilers refresh them on their own slower schedule. Only their
// crossing a budget counts (budget.go).
//
// The fingerprints are built once per snapshot and member, each into one
// buffer: with thousands of slots, concatenating strings slot by slot
// allocated memory quadratic in the number of slots on every poll.
func (m *Manager) notify(ctx context.Context, key types.NamespacedName, prev, cur *observation.Snapshot) {
	if prev == nil || fingerprintOf(prev) != fingerprintOf(cur) {
		m.send(ctx, m.serverEvents, key)
	}
	settled, news := m.tracker.due(key, cur.At, cur.SlotOn)
	var woken map[types.NamespacedName]bool // nil on a quiet poll: no allocation
	if len(news) > 0 {
		woken = make(map[types.NamespacedName]bool, len(news))
	}
	for _, obj := range news {
		m.send(ctx, m.slotEvents, obj)
		woken[obj] = true
	}
	watchers := m.tracker.watchers(key)
	if len(watchers) == 0 {
		return
	}
	var was, is bytes.Buffer
	pf, cf := newSlotFingerprinter(prev), newSlotFingerprinter(cur)
	for slot, ws := range watchers {
		same := false
		if prev != nil {
			was.Reset()
			is.Reset()
			pf.write(&was, slot)
			cf.write(&is, slot)
			same = bytes.Equal(was.Bytes(), is.Bytes())
		}
		known := !same && arrivalOnly(pf, cf, slot)
		for _, w := range ws {
			switch {
			case woken[w.obj]: // woken above
			case same && !crossedBudget(prev, cur, slot, w.budget): // no news
			case known && slices.Contains(settled[slot], w.obj): // it saw the slot itself
			default:
				m.send(ctx, m.slotEvents, w.obj)
			}
		}
	}
}

// arrivalOnly: the slot is new in this snapshot, on one member only, and
// nothing else of it or the members changed. An object that expected it
// (it created or read the slot itself, see Expect) has nothing to learn
// from that; waking it would only reconcile every new slot twice. A slot
// new on several members at once is news all the same: the copy the
// object made on a standby right after the slot is what FailoverReady
// waits for, and the object saw only the slot it expected.
func arrivalOnly(pf, cf *slotFingerprinter, slot string) bool {
	return pf != nil && !pf.s.Holds(slot) && cf.s.Holders(slot) == 1 &&
		pf.claims == cf.claims && slices.Equal(pf.members, cf.members)
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

// fingerprintOf is the snapshot's server fingerprint, computed when it was
// published (see server.publish) or now.
func fingerprintOf(s *observation.Snapshot) string {
	if s.Fingerprint != "" {
		return s.Fingerprint
	}
	return serverFingerprint(s)
}

func serverFingerprint(s *observation.Snapshot) string {
	var b strings.Builder
	fmt.Fprint(&b, s.Claims, s.Refused)
	for i := range s.Members {
		mb := &s.Members[i]
		b.WriteString("|")
		b.WriteString(mb.Addr())
		b.WriteString(memberFingerprint(mb))
		fmt.Fprint(&b, len(mb.Slots), errReason(mb.SlotsErr))
		// In name order: map order is random and would wake the server
		// object on every poll.
		for _, name := range slices.Sorted(maps.Keys(mb.Slots)) {
			sl := mb.Slots[name]
			fmt.Fprint(&b, name, sl.Active, sl.WALStatus)
		}
	}
	return b.String()
}

// memberFingerprint includes the Pod a slice names behind the member: a
// Pod given another's address is another member to the records of
// status.copies, whatever the server answering there says.
func memberFingerprint(mb *observation.Member) string {
	pod := ""
	if mb.Pod != "" {
		pod = "pod:" + mb.Pod + ":"
	}
	if mb.Identity == nil {
		return pod + "down:" + errReason(mb.Err)
	}
	id := mb.Identity
	return pod + fmt.Sprint(id.InRecovery, id.Timeline, id.SystemIdentifier, id.VersionNum,
		id.PostmasterStart.UnixNano(), id.Settings, id.Rights)
}

// slotFingerprinter writes slot fingerprints of one snapshot; the parts
// every slot shares (claims, members' identities) are formatted once.
type slotFingerprinter struct {
	s        *observation.Snapshot
	claims   string
	members  []string // per member: "|" + address + member fingerprint
	primary  *observation.Member
	standbys []*observation.Member
}

func newSlotFingerprinter(s *observation.Snapshot) *slotFingerprinter {
	if s == nil {
		return nil
	}
	f := &slotFingerprinter{s: s, claims: fmt.Sprint(s.Claims), members: make([]string, len(s.Members)),
		primary: s.PrimaryMember(), standbys: s.Standbys()}
	for i := range s.Members {
		mb := &s.Members[i]
		f.members[i] = "|" + mb.Addr() + memberFingerprint(mb)
	}
	return f
}

// write writes the fingerprint of one slot: the slot on every member
// (location may be a standby) plus the members' roles, so a failover wakes
// every slot.
func (f *slotFingerprinter) write(w io.Writer, slot string) {
	_, _ = io.WriteString(w, f.claims)
	for i := range f.s.Members {
		_, _ = io.WriteString(w, f.members[i])
		sl, ok := f.s.Members[i].Slots[slot]
		if !ok {
			_, _ = io.WriteString(w, ":absent")
			continue
		}
		fmt.Fprint(w, sl.Type, sl.Plugin, sl.Database, sl.Temporary, sl.Active, sl.ActivePID,
			sl.WALStatus, sl.InvalidationReason, sl.Conflicting, sl.Synced, sl.Failover)
		if f.s.Members[i].StaleHolders[slot] {
			_, _ = io.WriteString(w, ":stale")
		}
	}
	f.writeStandbys(w, slot)
}

// writeStandbys writes, per standby of the primary, what of the slot
// decides something and changes only at a moment: whether the consumer on
// the primary is ahead of the standby (FailoverReady: ConsumerAhead), and
// where slotkeeper's copy there must be moved to. Their flipping wakes the
// object within one poll, while the positions merely moving do not.
func (f *slotFingerprinter) writeStandbys(w io.Writer, slot string) {
	if f.primary == nil {
		return
	}
	sl, ok := f.primary.Slots[slot]
	if !ok {
		return
	}
	for _, m := range f.standbys {
		if m.Behind(sl.ConfirmedFlushLSN) {
			_, _ = io.WriteString(w, "|ahead:"+m.Addr())
		}
		f.writeCopyTarget(w, &sl, m)
		writeSyncPending(w, &sl, m)
	}
}

// writeCopyTarget writes, when slotkeeper's copy of the slot on standby m
// is behind the point it would be moved to, that point. While the primary
// slot moves the point moves, and the object is woken every poll to move
// its copies along; once the copy has caught up nothing is written, so a
// quiet slot (or one whose copy PostgreSQL keeps) costs nothing.
func (f *slotFingerprinter) writeCopyTarget(w io.Writer, primary *postgres.Slot, m *observation.Member) {
	cp, ok := m.Slots[primary.Name]
	if !ok {
		return
	}
	if target, behind := observation.CopyBehind(primary, &cp, m); behind {
		fmt.Fprint(w, "|copy:", m.Addr(), "@", target)
	}
}

// writeSyncPending writes, while PostgreSQL's copy on standby m is missing
// or temporary, the primary slot's confirmed position: each move of the
// consumer then wakes the object, which asks the standby for a slot
// synchronization (refused at once while the sync worker runs).
func writeSyncPending(w io.Writer, primary *postgres.Slot, m *observation.Member) {
	if observation.SyncPending(primary, m) {
		fmt.Fprint(w, "|sync:", m.Addr(), "@", primary.ConfirmedFlushLSN)
	}
}

// slotFingerprint is the fingerprint of one slot in a snapshot.
func slotFingerprint(s *observation.Snapshot, slot string) string {
	var b strings.Builder
	newSlotFingerprinter(s).write(&b, slot)
	return b.String()
}

func errReason(e *postgres.Error) string {
	if e == nil {
		return ""
	}
	return string(e.Reason) + e.Message
}
