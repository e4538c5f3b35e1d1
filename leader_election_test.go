package main

import (
	"strings"
	"testing"
)

func TestLeaseName(t *testing.T) {
	cases := []struct {
		flag string
		ok   bool
	}{
		{defaultLeaseName, true},
		{"slotkeeper-shard-a", true},
		{"", false},
		{"Shard-A", false},
		{"shard/a", false},
		{"shard a", false},
	}
	for _, c := range cases {
		got, err := leaseName(c.flag)
		if (err == nil) != c.ok {
			t.Errorf("leaseName(%q) error %v, want ok=%v", c.flag, err, c.ok)
		}
		if c.ok && got != c.flag {
			t.Errorf("leaseName(%q) = %q", c.flag, got)
		}
	}
}

// The lease name reaches the manager, and a bad one stops the start with
// the flag's name in the message.
func TestManagerOptionsLease(t *testing.T) {
	o := options{metricsAddr: "0", leaderElect: true, leaderElectionID: "slotkeeper-shard-a"}
	mo, err := managerOptions(o)
	if err != nil || mo.LeaderElectionID != "slotkeeper-shard-a" || !mo.LeaderElection {
		t.Fatalf("managerOptions: lease %q, election %v, error %v", mo.LeaderElectionID, mo.LeaderElection, err)
	}
	o.leaderElectionID = "Shard A"
	if _, err := managerOptions(o); err == nil || !strings.Contains(err.Error(), "--leader-election-id") {
		t.Errorf("a bad lease name gave %v", err)
	}
}
