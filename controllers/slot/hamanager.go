package slot

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/patroni"
	"github.com/slotkeeper/slotkeeper/internal/record"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Values of status.ignoreSlotsEntry.
const (
	ignoreEntryAdded   = "Added"
	ignoreEntryPresent = "Present"
)

// keepIgnoreEntry runs before the slot is created or checked: with
// spec.patroni.ignoreSlots Manage, Patroni's ignore_slots must cover the
// slot first, or Patroni drops it the next time it re-reads its slot list.
// A Patroni that cannot be reached or refuses is reported, and the slot is
// managed all the same: a slot Patroni may drop beats no slot.
func (r *Reconciler) keepIgnoreEntry(ctx context.Context, sc *slotScope) (*status.Outcome, error) {
	ps := sc.ps
	if ps == nil || ps.Spec.Patroni == nil || ps.Spec.Patroni.IgnoreSlotsMode() != api.IgnoreSlotsManage {
		return nil, nil
	}
	k := r.Patroni.Get(sc.serverKey)
	if k == nil {
		return noKeeperYet(sc), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*r.readTimeout(sc))
	defer cancel()
	wrote, err := r.addIgnoreEntry(ctx, sc, k)
	var rec recordError
	switch {
	case errors.As(err, &rec):
		return nil, rec.error // the write waits until status says it is coming
	case err != nil:
		sc.haNote = fmt.Sprintf("; could not add the slot to Patroni's ignore_slots (%s), so Patroni may drop it; the PostgresServer's %s condition says what to do",
			patroniTrouble(err), api.ConditionHAManagerCoversSlots)
	case wrote:
		sc.event("Normal", "IgnoreSlotsEntryAdded", record.ActionCreate,
			"added slot %q to Patroni's ignore_slots, so Patroni leaves it alone", sc.name)
	}
	return nil, nil
}

// noKeeperYet: the server's reconcile has not reached Patroni yet. Right
// after an operator restart a slot whose entry was recorded goes on (a
// Ready slot stays Ready); a server that cannot reach Patroni is reported
// and the slot goes on too; otherwise creation waits for it.
func noKeeperYet(sc *slotScope) *status.Outcome {
	if sc.rs.Status.IgnoreSlotsEntry != "" {
		return nil
	}
	c := meta.FindStatusCondition(sc.ps.Status.Conditions, api.ConditionHAManagerCoversSlots)
	if c != nil && c.Reason != api.ReasonCovered && c.Reason != api.ReasonNotCovered {
		sc.haNote = "; Patroni's ignore_slots cannot be kept: " + c.Message
		return nil
	}
	return status.Progress(api.ReasonProgressing, "waiting for the PostgresServer to reach Patroni before creating the slot")
}

// addIgnoreEntry makes Patroni's ignore_slots cover the slot and records
// who made the entry in status.ignoreSlotsEntry; wrote says slotkeeper did.
func (r *Reconciler) addIgnoreEntry(ctx context.Context, sc *slotScope, k *patroni.Keeper) (bool, error) {
	s, st := PatroniEntry(sc.rs), &sc.rs.Status
	covered, err := k.Covers(ctx, s)
	if err != nil {
		return false, err
	}
	if covered {
		if st.IgnoreSlotsEntry == "" {
			st.IgnoreSlotsEntry = ignoreEntryPresent
		}
		return false, nil
	}
	if st.IgnoreSlotsEntry != ignoreEntryAdded {
		// Recorded before the write: an entry made just before the operator
		// stopped is then known as slotkeeper's, and removed with the slot.
		if err := r.recordIgnoreEntry(ctx, sc); err != nil {
			return false, recordError{err}
		}
	}
	wrote, err := k.Ensure(ctx, s)
	if err == nil && !wrote {
		// Somebody else's entry covers it by now: not slotkeeper's to remove.
		st.IgnoreSlotsEntry = ignoreEntryPresent
	}
	return wrote, err
}

// recordError is a failed status write of the intent, as opposed to a
// failure of Patroni: the reconcile is retried rather than going on.
type recordError struct{ error }

// recordIgnoreEntry writes status.ignoreSlotsEntry Added at once, ahead of
// the reconcile's own status write.
func (r *Reconciler) recordIgnoreEntry(ctx context.Context, sc *slotScope) error {
	return r.writeAhead(ctx, sc, func(st *api.ReplicationSlotStatus) { st.IgnoreSlotsEntry = ignoreEntryAdded })
}

// removeIgnoreEntry removes the entry slotkeeper added, once the slot is
// dropped; an entry that was there before stays.
func (r *Reconciler) removeIgnoreEntry(ctx context.Context, sc *slotScope) *status.Outcome {
	if sc.rs.Status.IgnoreSlotsEntry != ignoreEntryAdded {
		return nil
	}
	if ps := sc.ps; ps != nil && (ps.Spec.Patroni == nil || ps.Spec.Patroni.IgnoreSlotsMode() != api.IgnoreSlotsManage) {
		// Somebody took the entries out of slotkeeper's hands: leave them.
		sc.event("Normal", "IgnoreSlotsEntryLeft", record.ActionDrop,
			"left slot %q in Patroni's ignore_slots: the PostgresServer no longer has spec.patroni.ignoreSlots Manage", sc.name)
		return nil
	}
	k := r.Patroni.Get(sc.serverKey)
	if k == nil {
		return status.Retry(api.ReasonDeleting, "the slot is dropped; waiting for the PostgresServer to reach Patroni to remove the slot's ignore_slots entry")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*r.readTimeout(sc))
	defer cancel()
	if err := k.Remove(ctx, PatroniEntry(sc.rs)); err != nil {
		return status.Retry(api.ReasonDeleting, fmt.Sprintf(
			"the slot is dropped; removing its entry from Patroni's ignore_slots failed: %v (set spec.patroni.ignoreSlots: Report on the PostgresServer to leave the entry and finish)", err))
	}
	sc.event("Normal", "IgnoreSlotsEntryRemoved", record.ActionDrop,
		"removed slot %q from Patroni's ignore_slots after dropping it", sc.name)
	sc.rs.Status.IgnoreSlotsEntry = ""
	return nil
}

// haNoteOf is what the slot's Ready message adds about the HA manager:
// a failure to keep ignore_slots, or, without Manage, that Patroni's
// configuration does not cover the slot.
func haNoteOf(sc *slotScope) string {
	if sc.haNote != "" {
		return sc.haNote
	}
	if sc.ps != nil && sc.ps.Spec.Patroni != nil && sc.ps.Spec.Patroni.IgnoreSlotsMode() == api.IgnoreSlotsManage {
		return ""
	}
	return status.UncoveredNote(haManagerOf(sc), sc.name)
}

// patroniTrouble is a short cause for a slot's message; the server's
// condition has the details.
func patroniTrouble(err error) string {
	var pe *patroni.Error
	switch {
	case !errors.As(err, &pe):
	case pe.Kind == patroni.KindUnauthorized:
		return "Patroni's REST API refused the write: 401 or 403"
	case pe.Kind == patroni.KindRefused:
		return err.Error()
	}
	return "no Patroni REST API answered"
}

// PatroniEntry describes a declared slot as Patroni's configuration does.
func PatroniEntry(rs *api.ReplicationSlot) patroni.Slot {
	if rs.Spec.Type == api.SlotLogical {
		return patroni.Slot{Name: rs.SlotName(), Type: "logical", Database: rs.Spec.Database, Plugin: rs.PluginName()}
	}
	return patroni.Slot{Name: rs.SlotName(), Type: "physical"}
}
