package postgres

import (
	"strings"
	"testing"
	"time"
)

func TestStripPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"host=a port=5432 user=rep password=secret application_name=s1", "host=a port=5432 user=rep application_name=s1"},
		{"password=secret", ""},
		{"host=a password = 'se cr\\'et' user=rep", "host=a user=rep"},
		{"host=a password='unterminated", "host=a"},
		{"host=a  sslmode=require", "host=a sslmode=require"},
		{"garbage", ""},
		{"postgresql://rep:secret@h:5432/db?sslmode=require", "postgresql://rep@h:5432/db?sslmode=require"},
		{"postgres://h/db?password=secret&user=rep", "postgres://h/db?user=rep"},
	}
	for _, tt := range tests {
		got := StripPassword(tt.in)
		if got != tt.want {
			t.Errorf("StripPassword(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("StripPassword(%q) leaks the password: %q", tt.in, got)
		}
	}
}

func TestSettingsFromMap(t *testing.T) {
	s, err := settingsFromMap(map[string]string{
		"wal_level": "logical", "max_replication_slots": "10", "max_wal_senders": "5",
		"max_slot_wal_keep_size": "10GB", "primary_conninfo": "host=p password=x user=r",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.WALLevel != "logical" || s.MaxReplicationSlots != 10 || s.MaxWALSenders != 5 ||
		s.MaxSlotWALKeepSize != "10GB" || s.PrimaryConnInfo != "host=p user=r" || s.SyncReplicationSlots != "" {
		t.Fatalf("unexpected %+v", s)
	}
	if _, err := settingsFromMap(map[string]string{"max_wal_senders": "many"}); err == nil {
		t.Fatal("non-integer setting should fail")
	}
}

func TestIdleSlotTimeout(t *testing.T) {
	tests := []struct {
		setting string
		want    time.Duration
	}{
		{"", 0}, // before 18, or unreadable
		{"0", 0},
		{"30s", 30 * time.Second},
		{"1min", time.Minute},
		{"2d", 48 * time.Hour},
		{"90", 90 * time.Second}, // a bare number is in seconds
		{"-1", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		got := Settings{IdleReplicationSlotTimeout: tt.setting}.IdleSlotTimeout()
		if got != tt.want {
			t.Errorf("IdleSlotTimeout(%q) = %s, want %s", tt.setting, got, tt.want)
		}
	}
	s, err := settingsFromMap(map[string]string{"idle_replication_slot_timeout": "1min", "effective_wal_level": "logical"})
	if err != nil || s.IdleReplicationSlotTimeout != "1min" || s.EffectiveWALLevel != "logical" {
		t.Fatalf("unexpected %+v, %v", s, err)
	}
}

func TestTimeline(t *testing.T) {
	wal, tli := "0000000A0000000000000003", int64(7)
	if got, _ := timeline(&wal, nil); got != 10 {
		t.Errorf("primary timeline = %d", got)
	}
	if got, _ := timeline(&wal, &tli); got != 7 {
		t.Errorf("standby timeline = %d", got)
	}
	bad := "ZZZZZZZZ0000"
	if _, err := timeline(&bad, nil); err == nil {
		t.Error("bad WAL file name should fail")
	}
}

func TestSlotSelectPerVersion(t *testing.T) {
	tests := []struct {
		version int
		has     []string
		hasNot  []string
	}{
		{150000, []string{"s.two_phase,"}, []string{"s.conflicting", "s.failover", "s.inactive_since", "s.two_phase_at"}},
		{160000, []string{"s.conflicting"}, []string{"s.failover", "s.invalidation_reason"}},
		{170000, []string{"s.failover", "s.synced", "s.invalidation_reason", "s.inactive_since", "s.conflicting"}, []string{"s.two_phase_at"}},
		{180000, []string{"s.two_phase_at", "s.failover"}, []string{"s.slotsync_skip_reason"}},
		// 19 is not released: the column is taken from PostgreSQL's master
		// documentation, untested against a real server.
		{190000, []string{"s.slotsync_skip_reason", "s.two_phase_at"}, nil},
	}
	for _, tt := range tests {
		q := slotSelect(tt.version)
		for _, c := range tt.has {
			if !strings.Contains(q, c) {
				t.Errorf("%d: missing %s", tt.version, c)
			}
		}
		for _, c := range tt.hasNot {
			if strings.Contains(q, c) {
				t.Errorf("%d: must not use %s", tt.version, c)
			}
		}
		if n := strings.Count(slotSelect(tt.version), ",\n"); n != strings.Count(slotSelect(180000), ",\n") {
			t.Errorf("%d: column count differs from 18", tt.version)
		}
	}
}

func TestConninfoParam(t *testing.T) {
	cases := []struct{ conninfo, want string }{
		{"host=a application_name=m1 port=5432", "m1"},
		{"application_name=m1", "m1"},
		{"host=a application_name = 'it\\'s here' port=1", "it's here"},
		{"host='a b' port=1", ""},
		{"postgres://u@a/db?application_name=m%2D2", "m-2"},
		{"", ""},
		{"garbage", ""},
	}
	for _, c := range cases {
		if got := ConnInfoParam(c.conninfo, "application_name"); got != c.want {
			t.Errorf("ConnInfoParam(%q) = %q, want %q", c.conninfo, got, c.want)
		}
	}
}
