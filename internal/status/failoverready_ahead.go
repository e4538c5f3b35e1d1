package status

import (
	"fmt"

	"github.com/slotkeeper/slotkeeper/internal/copies"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

// consumerAheadOf says when the slot's consumer has confirmed changes the
// standby has not received: a failover to it now would leave the consumer
// holding changes the new primary never had. The standby's own figures are
// used, not the primary's view of it, which stays stale while the standby
// receives nothing.
func consumerAheadOf(m *observation.Member, in FailoverInputs) string {
	confirmed, has := in.Row.ConfirmedFlushLSN, m.Received()
	if !m.Behind(confirmed) {
		return ""
	}
	msg := fmt.Sprintf("the consumer has confirmed up to %s, past the %s this standby has received: "+
		"a failover to it now would leave the consumer ahead of the new primary by %s of WAL",
		confirmed, has, FormatBytes(int64(*confirmed-has)))
	if in.Strategy == copies.Native {
		return msg + "; list its slot in the primary's synchronized_standby_slots, so PostgreSQL holds the consumer back"
	}
	return msg + "; PostgreSQL 16 cannot hold the consumer back: only a standby that keeps up closes this window"
}

// unheldNote qualifies a True verdict for logical slots when nothing keeps
// the consumer from confirming changes a standby has not received yet:
// always on PostgreSQL 16, and on 17+ while synchronized_standby_slots
// does not name every standby's slot. FailoverReady then does not claim
// that a failover would lose nothing.
func unheldNote(in FailoverInputs, standbys []*observation.Member) string {
	const then = "; a failover right after it does leaves the consumer ahead of the new primary, and slotkeeper reports those changes as ConsumerAhead"
	switch in.Strategy {
	case copies.KeptLogical:
		return "; but PostgreSQL 16 does not hold the consumer back to what the standbys have received" + then
	case copies.Native:
		p, slots := in.Snapshot.PrimaryMember(), standbySlotNames(standbys)
		if w := synchronizedStandbySlotsWarning(p.Identity.Settings.SynchronizedStandbySlots, slots); w != "" || len(slots) < len(standbys) {
			return "; but synchronized_standby_slots does not name every standby's slot, so the consumer can get ahead of a standby" + then
		}
	}
	return ""
}
