package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// DefaultWALSenderTimeout is PostgreSQL's default, used when the setting
// cannot be read.
const DefaultWALSenderTimeout = time.Minute

// HolderInputs is what is known about the process holding a slot.
type HolderInputs struct {
	PID      int32
	Consumer *postgres.Consumer
	Now      time.Time
	// Timeout is wal_sender_timeout; 0 means PostgreSQL never times a
	// silent client out, so only the lack of progress can tell.
	Timeout time.Duration
	// StillSince is since when the slot's position has not moved (zero
	// when unknown); LagBytes how far it is behind the server's WAL.
	StillSince time.Time
	LagBytes   int64
}

// HolderInputsOf gathers what is known about the holder of slot row on
// member m at now; still is since when the consumer's position has not
// moved (zero when unknown). The reconcile and the monitor both judge
// from it, so the Ready message and the monitor's wake-up agree.
func HolderInputsOf(m *observation.Member, row *postgres.Slot, still, now time.Time) HolderInputs {
	var id *postgres.Identity
	if m != nil {
		id = m.Identity
	}
	return HolderInputs{PID: row.ActivePID, Consumer: row.Consumer, Now: now,
		Timeout: WALSenderTimeout(id), LagBytes: deref(ConsumerLag(id, row)), StillSince: still}
}

// WALSenderTimeout is the member's wal_sender_timeout (0 when disabled);
// PostgreSQL's default when it cannot be read.
func WALSenderTimeout(id *postgres.Identity) time.Duration {
	if id == nil {
		return DefaultWALSenderTimeout
	}
	d, err := postgres.ParseSettingDuration(id.Settings.WALSenderTimeout, time.Millisecond)
	if err != nil {
		return DefaultWALSenderTimeout
	}
	return d
}

// ConsumerLag is how far the consumer is behind the member's WAL position:
// confirmed_flush_lsn for logical slots, restart_lsn for physical; nil
// when either is unknown.
func ConsumerLag(id *postgres.Identity, row *postgres.Slot) *int64 {
	at := row.ConsumerPosition()
	if at == nil || id == nil {
		return nil
	}
	lag := max(int64(id.WALPosition)-int64(*at), 0)
	return &lag
}

// LooksStale is Holder's verdict without its text.
func LooksStale(in HolderInputs) bool { return staleWhy(in) != "" }

// Holder describes who holds a slot and whether it looks stale. The text
// changes only when the holder or the verdict does, so it is safe to put
// in a condition message without causing a status write per poll.
func Holder(in HolderInputs) (string, bool) {
	who := holderWho(in)
	why := staleWhy(in)
	if why == "" {
		return who + "; it is live: stop that consumer (or point it elsewhere) to release the slot", false
	}
	return fmt.Sprintf("%s; it looks stale: %s. If that consumer is gone, end its connection with "+
		"SELECT pg_terminate_backend(%d); slotkeeper never terminates a consumer on its own", who, why, in.PID), true
}

func holderWho(in HolderInputs) string {
	c := in.Consumer
	if c == nil {
		return fmt.Sprintf("held by pid %d", in.PID)
	}
	var parts []string
	if c.ApplicationName != "" {
		parts = append(parts, "application "+c.ApplicationName)
	}
	if c.ClientAddr != "" {
		parts = append(parts, "client "+c.ClientAddr)
	}
	if c.BackendStart != nil {
		parts = append(parts, "connected since "+c.BackendStart.UTC().Format(time.RFC3339))
	}
	if c.SenderState != "" {
		parts = append(parts, "walsender "+c.SenderState)
	} else if c.State != "" {
		parts = append(parts, "backend "+c.State)
	}
	return fmt.Sprintf("held by pid %d (%s)", in.PID, strings.Join(parts, ", "))
}

// staleWhy says why the holder looks stale, or "" when it does not: no
// reply for longer than wal_sender_timeout, or no progress for that long
// while there is WAL to confirm.
func staleWhy(in HolderInputs) string {
	limit := in.Timeout
	if limit <= 0 {
		limit = DefaultWALSenderTimeout
	}
	if c := in.Consumer; in.Timeout > 0 && c != nil && c.ReplyTime != nil && in.Now.Sub(*c.ReplyTime) > limit {
		return fmt.Sprintf("no reply from its client since %s, longer than wal_sender_timeout (%s)",
			c.ReplyTime.UTC().Format(time.RFC3339), limit)
	}
	if !in.StillSince.IsZero() && in.LagBytes > 0 && in.Now.Sub(in.StillSince) > limit {
		return fmt.Sprintf("it has confirmed nothing since %s although it is %s behind, for longer than wal_sender_timeout (%s)",
			in.StillSince.UTC().Format(time.RFC3339), FormatBytes(in.LagBytes), limit)
	}
	return ""
}
