package pgtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Small timings so that the test runs in about a minute; the rig's defaults
// (ttl 30, loop_wait 10) are the issue's.
var patroniTestOptions = PatroniOptions{
	Scope: "pgtest", TTL: 10, LoopWait: 2, RetryTimeout: 3,
	RESTUsername: "patroni", RESTPassword: "rest-secret",
}

// TestPatroni pins down what Patroni 3.0.2 does to replication slots it
// does not know, which slotkeeper must defend against: it drops every
// inactive slot that is neither in its dynamic `slots` nor matched by
// `ignore_slots`, on the leader and on replicas, whenever it re-reads the
// slot list from PostgreSQL: at its start, after PostgreSQL (re)starts (a
// demoted leader), in the loop after it created a slot of its own (a new
// leader's slots for the other members), on resume; never while paused.
// A slot in use survives, but Patroni then re-reads at every loop and drops
// it at the first one after its consumer left.
// Patroni missing is a failure (run `make patroni`), not a skip.
func TestPatroni(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	c := StartPatroniT(t, patroniTestOptions)
	t.Logf("cluster up with a streaming replica in %v", time.Since(start).Round(time.Millisecond))
	leader := waitLeaderT(ctx, t, c)
	replica := c.otherMember(leader)

	t.Run("UnknownSlotsDroppedOnReRead", func(t *testing.T) {
		testUnknownSlotDropped(ctx, t, c, leader, replica)
	})
	t.Run("ActiveSlotDroppedOnceIdle", func(t *testing.T) { testActiveSlot(ctx, t, c, leader) })
	t.Run("IgnoreSlotsKeeps", func(t *testing.T) { testIgnoreSlots(ctx, t, c, leader, replica) })
	t.Run("PauseKeeps", func(t *testing.T) { testPause(ctx, t, c, leader) })
	t.Run("Switchover", func(t *testing.T) { testSwitchover(ctx, t, c, leader, replica) })
	t.Run("StopKillsEverything", func(t *testing.T) { testPatroniStop(t, c) })
}

func testUnknownSlotDropped(ctx context.Context, t *testing.T, c *PatroniCluster, leader, replica string) {
	createSlot(ctx, t, c, leader, "foreign_slot", "logical")
	// On the replica a physical slot: PostgreSQL 15 has no logical
	// decoding on standbys.
	createSlot(ctx, t, c, replica, "replica_slot", "physical")
	// A running Patroni does not look: the slots outlive two loops.
	must(t, c.RunLoops(ctx, leader, 2))
	must(t, c.RunLoops(ctx, replica, 2))
	unknown := [][2]string{{leader, "foreign_slot"}, {replica, "replica_slot"}}
	for _, ms := range unknown {
		if !slotExists(ctx, t, c, ms[0], ms[1]) {
			t.Fatalf("Patroni dropped %s on %s without re-reading its slots", ms[1], ms[0])
		}
	}
	for _, ms := range unknown {
		member, slot := ms[0], ms[1]
		offset := c.PatroniLogOffset(member)
		took := restartPatroni(ctx, t, c, member, func() bool { return !slotExists(ctx, t, c, member, slot) })
		t.Logf("Patroni restarted on %s: %s dropped within %v of the start", member, slot, took.Round(time.Millisecond))
		// Patroni logs from a thread of its own: the line may come later.
		eventuallyP(ctx, t, member+"'s Patroni to log the drop of "+slot, func() bool {
			return strings.Contains(c.PatroniLogSince(member, offset), "Dropped unknown replication slot '"+slot+"'")
		})
	}
}

// testActiveSlot: Patroni cannot drop a slot in use, so it retries at every
// loop and drops the slot at the first loop after its consumer left.
func testActiveSlot(ctx context.Context, t *testing.T, c *PatroniCluster, leader string) {
	createSlot(ctx, t, c, leader, "active_slot", "logical")
	consumer := consumeSlot(ctx, t, c, leader, "active_slot")
	eventuallyP(ctx, t, "pg_recvlogical to use active_slot", func() bool {
		var active bool
		return c.QueryRow(ctx, leader, `SELECT active FROM pg_replication_slots WHERE slot_name = 'active_slot'`, nil, &active) == nil && active
	})
	restartPatroni(ctx, t, c, leader, func() bool { return true })
	must(t, c.RunLoops(ctx, leader, 2))
	if !slotExists(ctx, t, c, leader, "active_slot") {
		t.Fatal("Patroni dropped active_slot while pg_recvlogical used it")
	}
	left := time.Now()
	must(t, consumer.Process.Kill())
	_ = consumer.Wait()
	eventuallyP(ctx, t, "Patroni to drop active_slot once idle", func() bool {
		return !slotExists(ctx, t, c, leader, "active_slot")
	})
	t.Logf("Patroni dropped active_slot %v after its consumer left (loop_wait %d s)",
		time.Since(left).Round(time.Millisecond), c.Options().LoopWait)
}

// consumeSlot streams from a logical slot with pg_recvlogical, which keeps
// it active until killed.
func consumeSlot(ctx context.Context, t *testing.T, c *PatroniCluster, member, slot string) *exec.Cmd {
	t.Helper()
	binDir, err := BinDir(c.Options().Major)
	must(t, err)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "pg_recvlogical"),
		"-d", c.SuperuserConnString(member), "-S", slot, "--start", "-f", "/dev/null")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pg_recvlogical: %s", out.String())
		}
	})
	return cmd
}

func testIgnoreSlots(ctx context.Context, t *testing.T, c *PatroniCluster, leader, replica string) {
	patch := map[string]any{"ignore_slots": []any{map[string]any{"name": "kept_slot", "type": "logical"}}}
	written, err := c.PatchConfig(ctx, leader, patch)
	must(t, err)
	if !hasIgnoreSlot(written, "kept_slot") {
		t.Fatalf("PATCH /config answered %v without kept_slot in ignore_slots", written)
	}
	reportConfigLag(ctx, t, c, replica)
	eventuallyP(ctx, t, "the leader's Patroni to read ignore_slots", func() bool {
		cfg, err := c.GetConfig(ctx, leader)
		return err == nil && hasIgnoreSlot(cfg, "kept_slot")
	})
	createSlot(ctx, t, c, leader, "kept_slot", "logical")
	// control_slot proves that the restart did re-read (and drop).
	createSlot(ctx, t, c, leader, "control_slot", "logical")
	restartPatroni(ctx, t, c, leader, func() bool { return !slotExists(ctx, t, c, leader, "control_slot") })
	if !slotExists(ctx, t, c, leader, "kept_slot") {
		t.Fatal("Patroni dropped kept_slot although ignore_slots lists it")
	}
}

// reportConfigLag logs whether GET /config on another member shows a PATCH
// at once, and how long it takes to.
func reportConfigLag(ctx context.Context, t *testing.T, c *PatroniCluster, member string) {
	patched := time.Now()
	cfg, err := c.GetConfig(ctx, member)
	must(t, err)
	t.Logf("GET /config on %s right after PATCH /config on the leader shows the new ignore_slots: %v", member, hasIgnoreSlot(cfg, "kept_slot"))
	eventuallyP(ctx, t, member+" to show the new ignore_slots", func() bool {
		cfg, err := c.GetConfig(ctx, member)
		return err == nil && hasIgnoreSlot(cfg, "kept_slot")
	})
	t.Logf("GET /config on %s shows it %v after the PATCH", member, time.Since(patched).Round(time.Millisecond))
}

func testPause(ctx context.Context, t *testing.T, c *PatroniCluster, leader string) {
	must(t, c.Pause(ctx))
	createSlot(ctx, t, c, leader, "paused_slot", "logical")
	must(t, c.KillPatroni(ctx, leader))
	offset := c.PatroniLogOffset(leader)
	must(t, c.StartPatroni(ctx, leader))
	// A loop of the new Patroni is done: a slot it meant to drop is gone.
	eventuallyP(ctx, t, leader+"'s restarted Patroni to run a loop", func() bool {
		return strings.Contains(c.PatroniLogSince(leader, offset), "PAUSE: no action")
	})
	if !slotExists(ctx, t, c, leader, "paused_slot") {
		t.Fatal("a paused Patroni dropped paused_slot")
	}
	resumed := time.Now()
	must(t, c.Resume(ctx))
	eventuallyP(ctx, t, "Patroni to drop paused_slot after resume", func() bool {
		return !slotExists(ctx, t, c, leader, "paused_slot")
	})
	t.Logf("Patroni dropped paused_slot %v after Resume was sent", time.Since(resumed).Round(time.Millisecond))
}

func testSwitchover(ctx context.Context, t *testing.T, c *PatroniCluster, leader, replica string) {
	// demoted_slot is unknown; kept_slot (from IgnoreSlotsKeeps) is ignored.
	createSlot(ctx, t, c, leader, "demoted_slot", "logical")
	res, err := c.Switchover(ctx, replica)
	must(t, err)
	t.Logf("switchover %s -> %s: writable %v after POST /switchover, which answered after %v",
		res.From, res.To, res.WritableAt.Sub(res.RequestedAt).Round(time.Millisecond),
		res.RespondedAt.Sub(res.RequestedAt).Round(time.Millisecond))
	// What slotkeeper does after a switchover: recreate its slot on the new
	// primary at once. Patroni drops it once it re-reads its slots, in the
	// loop after the one that created the slot for the old leader.
	createSlot(ctx, t, c, replica, "probe_slot", "logical")
	created := time.Since(res.WritableAt)
	eventuallyP(ctx, t, "Patroni to drop probe_slot on the new leader", func() bool {
		return !slotExists(ctx, t, c, replica, "probe_slot")
	})
	t.Logf("probe_slot created %v and dropped %v after the new leader accepted writes",
		created.Round(time.Millisecond), time.Since(res.WritableAt).Round(time.Millisecond))
	if got := waitLeaderT(ctx, t, c); got != replica {
		t.Fatalf("leader after the switchover is %s, want %s", got, replica)
	}
	must(t, c.WaitStreaming(ctx))
	// The demoted member re-reads its slots as a replica, too.
	eventuallyP(ctx, t, "Patroni to drop demoted_slot on the demoted member", func() bool {
		return !slotExists(ctx, t, c, leader, "demoted_slot")
	})
	t.Logf("demoted_slot dropped on %s %v after the new leader accepted writes", leader, time.Since(res.WritableAt).Round(time.Millisecond))
	if !slotExists(ctx, t, c, leader, "kept_slot") {
		t.Fatal("kept_slot (ignore_slots) did not survive the demotion of its member")
	}
}

func testPatroniStop(t *testing.T, c *PatroniCluster) {
	members := c.Members()
	c.Stop()
	for _, m := range members {
		if pids := PostmasterPIDs(m.DataDir); len(pids) > 0 {
			t.Errorf("postmaster of %s still running after Stop: %v", m.Name, pids)
		}
		if c.PatroniRunning(m.Name) {
			t.Errorf("Patroni of %s still running after Stop", m.Name)
		}
	}
	if c.witness.running() {
		t.Error("raft witness still running after Stop")
	}
	if _, err := os.Stat(c.baseDir); !os.IsNotExist(err) {
		t.Errorf("%s not removed by Stop (%v)", c.baseDir, err)
	}
}

// restartPatroni kills the member's Patroni, checks that PostgreSQL runs on,
// starts Patroni again and waits until done holds; it returns how long
// after the start that took.
func restartPatroni(ctx context.Context, t *testing.T, c *PatroniCluster, member string, done func() bool) time.Duration {
	t.Helper()
	pid := c.PostmasterPID(member)
	must(t, c.KillPatroni(ctx, member))
	if pid == 0 || c.PostmasterPID(member) != pid {
		t.Fatalf("the postmaster of %s (pid %d) did not survive Patroni's death", member, pid)
	}
	started := time.Now()
	must(t, c.StartPatroni(ctx, member))
	eventuallyP(ctx, t, "the restarted Patroni of "+member, done)
	return time.Since(started)
}

func createSlot(ctx context.Context, t *testing.T, c *PatroniCluster, member, name, kind string) {
	t.Helper()
	// test_decoding, unlike pgoutput, needs no publication to stream.
	sql := `SELECT pg_create_logical_replication_slot($1, 'test_decoding')`
	if kind == "physical" {
		sql = `SELECT pg_create_physical_replication_slot($1, true)`
	}
	must(t, c.Exec(ctx, member, sql, name))
}

func slotExists(ctx context.Context, t *testing.T, c *PatroniCluster, member, name string) bool {
	t.Helper()
	var n int
	must(t, c.QueryRow(ctx, member, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, []any{name}, &n))
	return n == 1
}

func hasIgnoreSlot(cfg map[string]any, name string) bool {
	list, _ := cfg["ignore_slots"].([]any)
	for _, e := range list {
		if m, _ := e.(map[string]any); m["name"] == name {
			return true
		}
	}
	return false
}

func waitLeaderT(ctx context.Context, t *testing.T, c *PatroniCluster) string {
	t.Helper()
	leader, err := c.WaitLeader(ctx)
	must(t, err)
	return leader
}

// eventuallyP waits for cond for at most 30 s: three TTLs of the test's
// configuration, and five times what any step here needs.
func eventuallyP(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	eventually(ctx, t, what, cond)
}

func TestPatroniMergeConfig(t *testing.T) {
	dst := map[string]any{
		"ttl":          30,
		"postgresql":   map[string]any{"use_slots": true, "parameters": map[string]any{"wal_level": "logical"}},
		"ignore_slots": []any{map[string]any{"name": "a"}},
		"pause":        true,
	}
	mergeConfig(dst, map[string]any{
		"postgresql":   map[string]any{"parameters": map[string]any{"max_wal_senders": 5}},
		"ignore_slots": []any{map[string]any{"name": "b"}},
		"pause":        nil,
	})
	pg := dst["postgresql"].(map[string]any)
	params := pg["parameters"].(map[string]any)
	switch {
	case pg["use_slots"] != true || params["wal_level"] != "logical" || params["max_wal_senders"] != 5:
		t.Errorf("nested maps not merged: %v", pg)
	case !hasIgnoreSlot(dst, "b") || hasIgnoreSlot(dst, "a"):
		t.Errorf("lists must be replaced whole: %v", dst["ignore_slots"])
	case dst["pause"] != nil || dst["ttl"] != 30:
		t.Errorf("nil must remove, other keys stay: %v", dst)
	}
}
