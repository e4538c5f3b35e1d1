package monitor

import (
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// heldSnapshot: a primary whose WAL is at 200 with wal_sender_timeout
// 1min, and logical slot "cdc" held by a walsender that last replied at
// replied and has confirmed up to confirmed.
func heldSnapshot(at, replied time.Time, confirmed postgres.LSN) *observation.Snapshot {
	c := &postgres.Consumer{PID: 42, SenderState: "streaming", ReplyTime: &replied}
	p := observation.Member{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 170004, Timeline: 1, SystemIdentifier: "7", WALPosition: 200,
			Settings: postgres.Settings{WALSenderTimeout: "1min"}},
		Slots: map[string]postgres.Slot{"cdc": {Name: "cdc", Type: "logical", Active: true, ActivePID: 42,
			ConfirmedFlushLSN: &confirmed, Consumer: c}}}
	return observation.NewSnapshot(at, "", []observation.Member{p})
}

// A holder turning stale wakes its object at the poll where it does, and
// so does its coming back; polls in between wake nothing, however the
// consumer's replies move.
func TestFingerprintFollowsStaleHolder(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	s := &server{progress: map[string]progressMark{}}
	poll := func(at time.Time, confirmed postgres.LSN) string {
		snap := heldSnapshot(at, at.Add(-time.Second), confirmed)
		s.noteProgress(snap.PrimaryMember(), at)
		s.markStale(snap)
		return slotFingerprint(snap, "cdc")
	}
	live := poll(t0, 100)
	if got := poll(t0.Add(30*time.Second), 100); got != live {
		t.Fatal("behind for 30 s of a 1min timeout, replying: nothing to tell yet")
	}
	stale := poll(t0.Add(61*time.Second), 100)
	if stale == live {
		t.Fatal("behind and still for longer than wal_sender_timeout: the object must wake")
	}
	if got := poll(t0.Add(70*time.Second), 100); got != stale {
		t.Fatal("still stale: nothing new")
	}
	if got := poll(t0.Add(75*time.Second), 150); got != live {
		t.Fatal("the consumer confirmed again: the object must wake to say it is live")
	}
}

// A silent client turns stale by its last reply; a caught-up consumer
// that confirms nothing is not stale.
func TestMarkStaleRules(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	s := &server{progress: map[string]progressMark{}}
	silent := heldSnapshot(t0, t0.Add(-2*time.Minute), 150)
	s.markStale(silent)
	if !silent.Members[0].StaleHolders["cdc"] {
		t.Fatal("no reply for 2 min with a 1min wal_sender_timeout: stale")
	}
	caughtUp := heldSnapshot(t0, t0, 200)
	s.progress["cdc"] = progressMark{at: 200, since: t0.Add(-time.Hour)}
	s.markStale(caughtUp)
	if caughtUp.Members[0].StaleHolders != nil {
		t.Fatal("caught up: nothing to confirm, not stale")
	}
}
