package monitor

import (
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// aheadSnapshot: primary db-0 with logical slot "cdc" confirmed at
// confirmed, standby db-1 that received up to received.
func aheadSnapshot(confirmed, received postgres.LSN) *observation.Snapshot {
	p := observation.Member{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 170010, Timeline: 1, SystemIdentifier: "7"},
		Slots:    map[string]postgres.Slot{"cdc": {Name: "cdc", Type: "logical", ConfirmedFlushLSN: &confirmed}}}
	s := observation.Member{Endpoint: observation.Endpoint{Host: "db-1", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 170010, Timeline: 1, SystemIdentifier: "7", InRecovery: true,
			ReceivedPosition: received, WALPosition: received}, Slots: map[string]postgres.Slot{}}
	return observation.NewSnapshot(time.Now(), "", []observation.Member{p, s})
}

// Positions moving do not change a slot's fingerprint; the consumer
// passing what a standby received (or falling back behind it) does, so
// FailoverReady follows within one poll.
func TestFingerprintFollowsConsumerAhead(t *testing.T) {
	base := slotFingerprint(aheadSnapshot(100, 200), "cdc")
	if got := slotFingerprint(aheadSnapshot(150, 300), "cdc"); got != base {
		t.Fatalf("both positions moved, the consumer still behind the standby: fingerprint changed\n%q\n%q", base, got)
	}
	ahead := slotFingerprint(aheadSnapshot(400, 300), "cdc")
	if ahead == base {
		t.Fatal("the consumer passed the standby: the fingerprint must change")
	}
	if got := slotFingerprint(aheadSnapshot(500, 350), "cdc"); got != ahead {
		t.Fatal("still ahead: the fingerprint must not change with the positions")
	}
	if got := slotFingerprint(aheadSnapshot(500, 0), "cdc"); got != base {
		t.Fatal("a standby whose position is unknown is not judged behind")
	}
}

// A promotion keeps the positions confirmed on the old timeline, for a
// slot whose copy on the new primary reports an older one.
func TestConfirmedBeforeFork(t *testing.T) {
	s := &server{lastConfirmed: map[string]postgres.LSN{}}
	seen := func(tl int64, confirmed postgres.LSN) {
		s.noteTimeline(tl)
		s.lastConfirmed["cdc"] = confirmed
	}
	seen(1, 500)
	if _, ok := s.confirmedBefore("cdc", 1); ok {
		t.Fatal("no promotion yet")
	}
	seen(2, 300)
	if got, ok := s.confirmedBefore("cdc", 1); !ok || got != 500 {
		t.Fatalf("confirmed before the fork = %v %v, want 500", got, ok)
	}
	seen(2, 350)
	if got, ok := s.confirmedBefore("cdc", 1); !ok || got != 500 {
		t.Fatalf("kept until the next promotion: %v %v", got, ok)
	}
	if _, ok := s.confirmedBefore("cdc", 2); ok {
		t.Fatal("timeline 2 has not ended")
	}
}
