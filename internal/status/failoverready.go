package status

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// FailoverInputs is what FailoverReady depends on.
type FailoverInputs struct {
	Generation int64
	// Strategy says who keeps the copies (copies.For, asked once per
	// reconcile by the slot reconciler).
	Strategy copies.Strategy
	Name     string
	Snapshot *observation.Snapshot
	// Row is the slot on the primary.
	Row *postgres.Slot
	// Copies are the copies slotkeeper keeps (status.copies).
	Copies []api.SlotCopy
	// Notes say, per standby address, what the last attempt to keep its
	// copy met; FlagNote why failover could not be switched on.
	Notes    map[string]string
	FlagNote string
}

// judged is one standby's view with the reason it is not ready.
type judged struct {
	view   api.StandbySlot
	reason string // ReasonSynced when ready
}

// FailoverReady answers, for a slot with spec.failover, whether a failover
// right now would keep it at its position: every streaming standby must
// hold a valid copy at or behind the consumer's position and meet the
// prerequisites. Who keeps the copies depends on the version: PostgreSQL's
// slot sync worker for logical slots on 17+, slotkeeper for logical slots
// on 16 and for physical slots. It also returns each standby's view.
func FailoverReady(in FailoverInputs) (*metav1.Condition, []api.StandbySlot) {
	c := &metav1.Condition{Type: api.ConditionFailoverReady, Status: metav1.ConditionFalse, ObservedGeneration: in.Generation}
	standbys := streamingStandbys(in.Snapshot)
	judge, reason, msg := judgeFor(in, standbys)
	if judge == nil {
		c.Reason, c.Message = reason, msg
		return c, nil
	}
	all := make([]judged, 0, len(standbys))
	views := make([]api.StandbySlot, 0, len(standbys))
	for _, s := range standbys {
		j := judge(s, in)
		if note := in.Notes[s.Addr()]; note != "" && !j.view.Ready && j.reason != api.ReasonFailoverPrerequisites {
			j.view.Message = note
		}
		all = append(all, j)
		views = append(views, j.view)
	}
	c.Status, c.Reason, c.Message = failoverVerdict(all)
	if c.Status == metav1.ConditionTrue {
		c.Message += unheldNote(in, standbys)
	}
	return c, views
}

// judgeFor picks how each standby's copy is judged, or says (reason,
// message) why the slot cannot be failover-ready at all.
func judgeFor(in FailoverInputs, standbys []*observation.Member) (func(*observation.Member, FailoverInputs) judged, string, string) {
	p := in.Snapshot.PrimaryMember()
	switch {
	case p == nil || in.Row == nil:
		return nil, api.ReasonNotSynced, "the slot is not on a reachable primary"
	case len(standbys) == 0:
		return nil, api.ReasonNoStandbys, "no reachable standby: a failover has nowhere to keep the slot"
	}
	switch in.Strategy {
	case copies.Physical:
		return physicalCopy, "", ""
	case copies.Unsupported:
		return nil, api.ReasonUnsupported, fmt.Sprintf("logical failover slots need PostgreSQL 16 (slotkeeper keeps the standby copies) or 17+ (PostgreSQL syncs them); the primary runs %s, so a failover recreates this slot and reports the data gap. Upgrade to 17 or later", p.Identity.Version)
	case copies.KeptLogical:
		return keptLogicalCopy, "", ""
	}
	if !in.Row.Failover { // copies.Native: PostgreSQL syncs only slots with the property
		msg := "the slot's failover property is off; slotkeeper switches it on with ALTER_REPLICATION_SLOT"
		if in.FlagNote != "" {
			msg = in.FlagNote
		}
		return nil, api.ReasonNotSynced, msg
	}
	return syncedCopy, "", ""
}

func streamingStandbys(snap *observation.Snapshot) []*observation.Member { return snap.Standbys() }

func notReady(v api.StandbySlot, reason, msg string) judged {
	v.Message = msg
	return judged{view: v, reason: reason}
}

func ready(v api.StandbySlot) judged {
	v.Ready = true
	return judged{view: v, reason: api.ReasonSynced}
}

// copyLag is how far a standby's copy is behind the primary's slot; nil
// when either position is unknown or the copy is ahead.
func copyLag(primary, copy *postgres.LSN) *int64 {
	if primary == nil || copy == nil || *primary < *copy {
		return nil
	}
	lag := int64(*primary - *copy)
	return &lag
}

// syncedCopy judges a PostgreSQL 17+ standby: its slot-sync settings
// first, then the copy the sync worker keeps.
func syncedCopy(m *observation.Member, in FailoverInputs) judged {
	v := api.StandbySlot{Host: m.Host, Port: m.Port}
	row, ok := m.Slots[in.Name]
	if ok {
		v.Present, v.Synced, v.Persistent = true, row.Synced, !row.Temporary
		v.LagBytes = copyLag(in.Row.ConfirmedFlushLSN, row.ConfirmedFlushLSN)
	}
	if missing := SyncPrerequisites(m.Identity.Settings); len(missing) > 0 {
		return notReady(v, api.ReasonFailoverPrerequisites, strings.Join(missing, "; "))
	}
	switch {
	case !ok:
		return notReady(v, api.ReasonNotSynced, "no synchronized copy yet")
	case !row.Synced:
		return notReady(v, api.ReasonNotSynced, "a slot of this name exists but is not a synchronized copy (a leftover from when this member was primary?)")
	case row.InvalidationReason != "":
		return notReady(v, api.ReasonNotSynced, "the copy is invalidated ("+row.InvalidationReason+")"+syncSkipNote(row.SlotSyncSkipReason))
	case row.Temporary:
		return notReady(v, api.ReasonNotPersistentYet, "the copy is still temporary: it persists once the primary's slot moves past it (the consumer must confirm progress)"+
			syncSkipNote(row.SlotSyncSkipReason))
	}
	if msg := consumerAheadOf(m, in); msg != "" {
		return notReady(v, api.ReasonConsumerAhead, msg)
	}
	return ready(v)
}

// keptLogicalCopy judges a PostgreSQL 16 standby holding a copy slotkeeper
// made: it is usable only once the consumer has confirmed past the point
// where the copy began decoding.
func keptLogicalCopy(m *observation.Member, in FailoverInputs) judged {
	v := api.StandbySlot{Host: m.Host, Port: m.Port}
	row, ok := m.Slots[in.Name]
	rec := FindCopy(in.Copies, m)
	if ok && rec != nil && !rec.Former && !rec.Pending {
		v.Present, v.Persistent = true, !row.Temporary
		v.LagBytes = copyLag(in.Row.ConfirmedFlushLSN, row.ConfirmedFlushLSN)
	}
	if missing := KeptCopyPrerequisites(m.Identity.Settings); len(missing) > 0 {
		return notReady(v, api.ReasonFailoverPrerequisites, strings.Join(missing, "; "))
	}
	switch {
	case !ok || rec == nil || rec.Former || rec.Pending:
		return notReady(v, api.ReasonNotSynced, "no copy yet")
	case row.Temporary:
		return notReady(v, api.ReasonNotSynced, "a temporary slot of this name holds the place of the copy")
	case row.Conflicting || row.InvalidationReason != "" || row.WALStatus == "lost":
		return notReady(v, api.ReasonNotSynced, "the copy is invalidated (a recovery conflict removed rows it needs: is hot_standby_feedback on?); slotkeeper makes a new one")
	case !copyConsistent(rec, in.Row.ConfirmedFlushLSN):
		return notReady(v, api.ReasonNotPersistentYet, fmt.Sprintf(
			"the copy begins at %s, after the consumer's confirmed position %s: a failover now would lose the changes in between; ready once the consumer confirms past %s",
			rec.StartLSN, lsnText(in.Row.ConfirmedFlushLSN), rec.StartLSN))
	}
	v.Synced = true
	if msg := consumerAheadOf(m, in); msg != "" {
		return notReady(v, api.ReasonConsumerAhead, msg)
	}
	return ready(v)
}

func copyConsistent(rec *api.SlotCopy, confirmed *postgres.LSN) bool {
	if rec.Consistent {
		return true
	}
	start, err := postgres.ParseLSN(rec.StartLSN)
	return err == nil && confirmed != nil && *confirmed >= start
}

func lsnText(l *postgres.LSN) string {
	if l == nil {
		return "(none yet)"
	}
	return l.String()
}

// physicalCopy judges the copy slotkeeper keeps of a physical slot: ready
// when it keeps WAL from the primary slot's restart_lsn on.
func physicalCopy(m *observation.Member, in FailoverInputs) judged {
	v := api.StandbySlot{Host: m.Host, Port: m.Port}
	row, ok := m.Slots[in.Name]
	rec := FindCopy(in.Copies, m)
	switch {
	case !ok || rec == nil || rec.Former || rec.Pending:
		return notReady(v, api.ReasonNotSynced, "no copy yet")
	case row.RestartLSN == nil || in.Row.RestartLSN == nil:
		v.Present, v.Persistent = true, true
		return notReady(v, api.ReasonNotSynced, "no restart_lsn to compare yet")
	case *row.RestartLSN > *in.Row.RestartLSN:
		v.Present, v.Persistent = true, true
		return notReady(v, api.ReasonNotPersistentYet, "the copy starts at "+row.RestartLSN.String()+", after the primary slot's "+in.Row.RestartLSN.String()+": ready once the slot's consumer passes it")
	}
	v.Present, v.Persistent, v.Synced = true, true, true
	v.LagBytes = copyLag(in.Row.RestartLSN, row.RestartLSN)
	return ready(v)
}

// failoverVerdict sums the standbys up: True when all are ready, else the
// most actionable reason with every standby's message.
func failoverVerdict(all []judged) (metav1.ConditionStatus, string, string) {
	var msgs []string
	reasons := map[string]bool{}
	for _, j := range all {
		if j.reason == api.ReasonSynced {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("%s:%d: %s", j.view.Host, j.view.Port, j.view.Message))
		reasons[j.reason] = true
	}
	if len(msgs) == 0 {
		return metav1.ConditionTrue, api.ReasonSynced, fmt.Sprintf("every standby (%d) holds a copy at or behind the consumer's position", len(all))
	}
	for _, r := range []string{api.ReasonFailoverPrerequisites, api.ReasonConsumerAhead, api.ReasonNotPersistentYet} {
		if reasons[r] {
			return metav1.ConditionFalse, r, strings.Join(msgs, "; ")
		}
	}
	return metav1.ConditionFalse, api.ReasonNotSynced, strings.Join(msgs, "; ")
}
