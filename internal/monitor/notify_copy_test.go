package monitor

import (
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// copySnapshot: primary db-0 with physical slot "repl" whose restart_lsn is
// at, standby db-1 that replayed up to replayed and holds slotkeeper's
// copy at copyAt (synced as PostgreSQL's worker would mark it).
func copySnapshot(at, replayed, copyAt postgres.LSN, synced bool) *observation.Snapshot {
	p := observation.Member{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 160004, Timeline: 1, SystemIdentifier: "7", WALPosition: at + 100},
		Slots:    map[string]postgres.Slot{"repl": {Name: "repl", Type: "physical", RestartLSN: &at}}}
	s := observation.Member{Endpoint: observation.Endpoint{Host: "db-1", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 160004, Timeline: 1, SystemIdentifier: "7", InRecovery: true,
			ReceivedPosition: replayed, WALPosition: replayed},
		Slots: map[string]postgres.Slot{"repl": {Name: "repl", Type: "physical", RestartLSN: &copyAt, Synced: synced}}}
	return observation.NewSnapshot(time.Now(), "", []observation.Member{p, s})
}

// A copy behind the point it is moved to wakes its object on every poll
// where that point moved; a copy that caught up, or one PostgreSQL keeps,
// wakes nothing however the positions move.
func TestFingerprintFollowsCopyTarget(t *testing.T) {
	caughtUp := slotFingerprint(copySnapshot(100, 200, 100, false), "repl")
	if got := slotFingerprint(copySnapshot(100, 300, 100, false), "repl"); got != caughtUp {
		t.Fatal("the standby replayed more, the copy is still at the primary's position: nothing to do")
	}
	behind := slotFingerprint(copySnapshot(150, 300, 100, false), "repl")
	if behind == caughtUp {
		t.Fatal("the primary's slot moved past the copy: the object must wake")
	}
	if got := slotFingerprint(copySnapshot(180, 300, 100, false), "repl"); got == behind {
		t.Fatal("the primary's slot moved again before the copy followed: wake again")
	}
	if got := slotFingerprint(copySnapshot(180, 170, 170, false), "repl"); got != caughtUp {
		t.Fatal("the copy is at what the standby replayed: it cannot go further, nothing to do")
	}
	if got := slotFingerprint(copySnapshot(180, 300, 100, true), "repl"); got != slotFingerprint(copySnapshot(100, 300, 100, true), "repl") {
		t.Fatal("a copy PostgreSQL's sync worker keeps is not slotkeeper's to move")
	}
}

func TestCopyTargetNeverPastTheStandby(t *testing.T) {
	snap := copySnapshot(500, 300, 100, false)
	p, sb := snap.PrimaryMember(), snap.Standbys()[0]
	prim, cp := p.Slots["repl"], sb.Slots["repl"]
	target, behind := observation.CopyBehind(&prim, &cp, sb)
	if !behind || target != 300 {
		t.Fatalf("CopyBehind = %v %v, want 300 true", target, behind)
	}
}

// syncSnapshot: a 17 primary with logical failover slot "cdc" confirmed at
// confirmed; a standby with the sync worker on whose copy is absent, or
// present as temporary or persistent.
func syncSnapshot(confirmed postgres.LSN, copyState string) *observation.Snapshot {
	p := observation.Member{Endpoint: observation.Endpoint{Host: "db-0", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 170004, Timeline: 1, SystemIdentifier: "7"},
		Slots:    map[string]postgres.Slot{"cdc": {Name: "cdc", Type: "logical", Failover: true, ConfirmedFlushLSN: &confirmed}}}
	sb := observation.Member{Endpoint: observation.Endpoint{Host: "db-1", Port: 5432},
		Identity: &postgres.Identity{VersionNum: 170004, Timeline: 1, SystemIdentifier: "7", InRecovery: true,
			WALPosition: 1000, Settings: postgres.Settings{SyncReplicationSlots: "on"}},
		Slots: map[string]postgres.Slot{}}
	if copyState != "absent" {
		sb.Slots["cdc"] = postgres.Slot{Name: "cdc", Type: "logical", Failover: true, Synced: true,
			Temporary: copyState == "temporary", ConfirmedFlushLSN: &confirmed}
	}
	return observation.NewSnapshot(time.Now(), "", []observation.Member{p, sb})
}

// While PostgreSQL's copy is missing or temporary, the consumer moving
// wakes the object (which asks the standby to synchronize); a persistent
// copy wakes nothing however the consumer moves.
func TestFingerprintFollowsPendingSync(t *testing.T) {
	for _, state := range []string{"absent", "temporary"} {
		if slotFingerprint(syncSnapshot(100, state), "cdc") == slotFingerprint(syncSnapshot(150, state), "cdc") {
			t.Fatalf("copy %s: the consumer moved, the object must wake", state)
		}
	}
	if slotFingerprint(syncSnapshot(100, "persistent"), "cdc") != slotFingerprint(syncSnapshot(150, "persistent"), "cdc") {
		t.Fatal("a persistent synced copy is the worker's to follow: nothing to wake")
	}
}
