package status

import (
	"strings"
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestHolder(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	start := now.Add(-time.Hour)
	recent, old := now.Add(-5*time.Second), now.Add(-5*time.Minute)
	consumer := func(reply *time.Time) *postgres.Consumer {
		return &postgres.Consumer{PID: 42, ApplicationName: "debezium", ClientAddr: "10.0.0.5",
			BackendStart: &start, SenderState: "streaming", ReplyTime: reply}
	}
	cases := []struct {
		name      string
		in        HolderInputs
		stale     bool
		contains  []string
		notInText []string
	}{
		{"live walsender", HolderInputs{PID: 42, Consumer: consumer(&recent), Now: now, Timeout: time.Minute, StillSince: old, LagBytes: 0},
			false, []string{"held by pid 42", "application debezium", "client 10.0.0.5", "connected since 2026-11-22T03:00:00Z", "walsender streaming", "it is live"},
			[]string{"pg_terminate_backend", "03:59:55"}},
		{"silent client", HolderInputs{PID: 42, Consumer: consumer(&old), Now: now, Timeout: time.Minute},
			true, []string{"no reply from its client since 2026-11-22T03:55:00Z", "wal_sender_timeout (1m0s)", "pg_terminate_backend(42)", "never terminates"}, nil},
		{"replies but confirms nothing while behind", HolderInputs{PID: 42, Consumer: consumer(&recent), Now: now, Timeout: time.Minute, StillSince: old, LagBytes: 64 << 20},
			true, []string{"confirmed nothing since 2026-11-22T03:55:00Z", "64.0MiB behind"}, nil},
		{"caught up and idle is not stale", HolderInputs{PID: 42, Consumer: consumer(&recent), Now: now, Timeout: time.Minute, StillSince: old},
			false, []string{"it is live"}, nil},
		{"timeout disabled: silence alone proves nothing", HolderInputs{PID: 42, Consumer: consumer(&old), Now: now},
			false, []string{"it is live"}, nil},
		{"timeout disabled, but stuck behind for longer than the default", HolderInputs{PID: 42, Consumer: consumer(&old), Now: now, StillSince: old, LagBytes: 1},
			true, []string{"wal_sender_timeout (1m0s)"}, nil},
		{"SQL-function holder", HolderInputs{PID: 7, Consumer: &postgres.Consumer{PID: 7, State: "active"}, Now: now, Timeout: time.Minute},
			false, []string{"held by pid 7 (backend active)"}, nil},
		{"holder not in pg_stat_activity", HolderInputs{PID: 9, Now: now, Timeout: time.Minute},
			false, []string{"held by pid 9;"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, stale := Holder(c.in)
			if stale != c.stale {
				t.Errorf("stale = %v, want %v: %s", stale, c.stale, msg)
			}
			for _, s := range c.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("%q lacks %q", msg, s)
				}
			}
			for _, s := range c.notInText {
				if strings.Contains(msg, s) {
					t.Errorf("%q should not contain %q", msg, s)
				}
			}
		})
	}
}
